// The SPA against the real backend and the examples/station suite, in real Chromium.
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";

const SHOTS = "test-results/screenshots";

async function launchByApi(request: APIRequestContext, test_path: string, uut_serial: string): Promise<string> {
  const response = await request.post("/api/runs", { data: { test_path, uut_serial, station: "ST-E2E", operator: "e2e" } });
  expect(response.status()).toBe(201);
  return ((await response.json()) as { run_id: string }).run_id;
}

async function launchFromForm(page: Page, testPath: string, serial: string): Promise<string> {
  await page.goto("/launch?station=ST-04&operator=qa");
  await page.getByLabel("Test Path").selectOption(testPath);
  await page.getByLabel(/UUT Serial/).fill(serial);
  await page.getByRole("button", { name: "Start Test" }).click();
  await page.waitForURL(/\/live\/[^/]+$/);
  return decodeURIComponent(page.url().split("/live/")[1]!);
}

const pill = (page: Page) => page.getByTestId("status-pill").first();

test("a passing test launched from the form ends green and its results list the steps", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/launch$/);
  await page.getByRole("button", { name: "Start Test" }).click();
  await expect(page.getByText("Enter the serial number of the unit under test.")).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/launch.png` });

  const runId = await launchFromForm(page, "station/test_power.py", "PSU-2041-00017");
  await expect(page.getByTestId("run-id")).toHaveText(runId);
  await expect(pill(page)).toHaveText("PASSED", { timeout: 20_000 });
  await expect(pill(page)).toHaveAttribute("data-status", "passed");
  await expect(pill(page)).toHaveCSS("background-color", "rgb(20, 129, 58)");
  const bar = page.getByTestId("progress-bar");
  await expect(bar.locator("span")).toHaveAttribute("style", /width: 100%/);
  expect(await bar.getAttribute("aria-valuenow")).toBe(await bar.getAttribute("aria-valuemax"));
  await page.screenshot({ path: `${SHOTS}/live-passed.png` });

  await page.getByRole("tab", { name: /Output/ }).click();
  await expect(page.getByTestId("output")).toContainText("passed");
  await page.screenshot({ path: `${SHOTS}/live-output.png` });

  await page.getByRole("link", { name: "View Full Results →" }).click();
  await expect(page).toHaveURL(`/results/${runId}`);
  await expect(page.getByTestId("serial")).toHaveText("PSU-2041-00017");
  const rows = page.getByTestId("steps").locator("tbody tr");
  await expect(rows.first()).toBeVisible();
  await expect(rows.filter({ hasText: "passed" })).toHaveCount(await rows.count());
  await expect(page.getByRole("link", { name: "Full output log" })).toHaveAttribute("href", `/api/runs/${runId}/output`);
  await page.screenshot({ path: `${SHOTS}/result-detail.png` });

  await page.getByRole("link", { name: "Results" }).click();
  await expect(page.getByTestId("history")).toContainText("PSU-2041-00017");
  await page.screenshot({ path: `${SHOTS}/results.png` });
});

test("a failing test ends with a red FAILED pill and its failure reason", async ({ page }) => {
  const runId = await launchFromForm(page, "station/test_comms.py", "COM-0001");
  await expect(pill(page)).toHaveText("FAILED", { timeout: 20_000 });
  await expect(pill(page)).toHaveCSS("background-color", "rgb(198, 40, 40)");
  await expect(page.getByTestId("events")).toContainText("CAN frame 0x1A3");
  await page.screenshot({ path: `${SHOTS}/live-failed.png` });

  await page.goto(`/results/${runId}`);
  await expect(page.getByTestId("steps").locator('tr[data-outcome="failed"]')).toContainText("not acknowledged");
  await page.screenshot({ path: `${SHOTS}/result-failed.png` });
});

test("a reload in the middle of a run rebuilds its events and output", async ({ page, request }) => {
  const runId = await launchByApi(request, "station/test_burn_in.py", "BURN-0001");
  await page.goto(`/live/${runId}`);
  await expect(pill(page)).toHaveText("RUNNING");
  await expect(page.getByTestId("current-step")).toContainText("Running");
  await expect(page.getByTestId("events")).toContainText("step started");
  await page.screenshot({ path: `${SHOTS}/live-running.png` });
  const before = Number(await page.getByRole("tab", { name: /Events/ }).locator(".count").textContent());

  await page.reload();
  await expect(pill(page)).toHaveText("RUNNING");
  const tabCount = page.getByRole("tab", { name: /Events/ }).locator(".count");
  await expect.poll(async () => Number(await tabCount.textContent())).toBeGreaterThanOrEqual(before);
  await expect(page.getByTestId("events")).toContainText("run created");
  await page.getByRole("tab", { name: /Output/ }).click();
  await expect(page.getByTestId("output").locator(".output-line")).not.toHaveCount(0);
  await expect(page.locator(".active-run", { hasText: "BURN-0001" })).toBeVisible();
  await request.post(`/api/runs/${runId}/abort`);
});

test("an unknown run id says the run was not found", async ({ page }) => {
  await page.goto("/live/no-such-run");
  await expect(page.getByRole("heading", { name: "Run not found" })).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/not-found.png` });
  await page.goto("/results/no-such-run");
  await expect(page.getByRole("heading", { name: "Run not found" })).toBeVisible();
});

test("a lost connection turns the pill into ERROR and explains it in a toast", async ({ page, request }) => {
  const runId = await launchByApi(request, "station/test_burn_in.py", "BURN-0002");
  let closeFromServer: (() => Promise<void>) | undefined;
  await page.routeWebSocket("/ws", (ws) => {
    ws.connectToServer();
    closeFromServer = () => ws.close({ code: 1011, reason: "server went away" });
  });
  await page.goto(`/live/${runId}`);
  await expect(pill(page)).toHaveText("RUNNING");
  await closeFromServer!();
  await expect(pill(page)).toHaveText("ERROR");
  await expect(pill(page)).toHaveCSS("background-color", "rgb(198, 40, 40)");
  const toast = page.locator(".toast");
  await expect(toast).toContainText("ConnectionLost");
  await expect(toast).toContainText("1011");
  await page.screenshot({ path: `${SHOTS}/connection-lost.png` });
  await request.post(`/api/runs/${runId}/abort`);
});

test("a refused launch keeps the form filled and shows the server's reason", async ({ page }) => {
  await page.goto("/launch?test_path=station/test_missing.py&uut_serial=SN-77&station=ST-09&operator=kim");
  await expect(page.getByLabel(/UUT Serial/)).toHaveValue("SN-77");
  await page.getByRole("button", { name: "Start Test" }).click();
  await expect(page.locator(".toast")).toContainText("Launch refused");
  await expect(page).toHaveURL(/\/launch/);
  await expect(page.getByLabel(/UUT Serial/)).toHaveValue("SN-77");
  await expect(page.getByLabel("Station", { exact: true })).toHaveValue("ST-09");
  await page.screenshot({ path: `${SHOTS}/launch-refused.png` });
});

test("Abort asks for confirmation, then the run ends ABORTED", async ({ page, request }) => {
  const runId = await launchByApi(request, "station/test_burn_in.py", "BURN-0003");
  await page.goto(`/live/${runId}`);
  await expect(pill(page)).toHaveText("RUNNING");
  await page.getByRole("button", { name: "Abort", exact: true }).click();
  await expect(page.getByText("Abort this run?")).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/abort-confirm.png` });
  await page.getByRole("button", { name: "Abort run" }).click();
  await expect(pill(page)).toHaveText("ABORTED", { timeout: 15_000 });
  await expect(page.getByRole("link", { name: "View Full Results →" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Abort", exact: true })).toHaveCount(0);
});
