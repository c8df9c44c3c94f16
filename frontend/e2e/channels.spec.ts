// Live channels and measurements against the real backend: the Channels tab of a running
// test, the results page's Measurements and Channels sections, the CSV of every reading, and a
// reload mid-run that restores the channels from the server's snapshot.
import { expect, test, type APIRequestContext, type Locator, type Page } from "@playwright/test";

const SHOTS = "test-results/screenshots";
const POWER_CHANNELS = ["psu.3V3", "psu.5V0", "psu.12V", "psu.current"];
const BURN_IN_CHANNELS = ["dut.temperature", "dut.load", "dut.fan_rpm"];

async function launch(request: APIRequestContext, test_path: string, uut_serial: string): Promise<string> {
  const response = await request.post("/api/runs", { data: { test_path, uut_serial, station: "ST-04", operator: "qa" } });
  expect(response.status()).toBe(201);
  return ((await response.json()) as { run_id: string }).run_id;
}

const pill = (page: Page) => page.getByTestId("status-pill").first();
const card = (page: Page, name: string) => page.locator(`[data-testid="channel"][data-channel="${name}"]`);

/** How many pixels of the canvas are painted: a blank sparkline has none. */
async function paintedPixels(canvas: Locator): Promise<number> {
  return canvas.evaluate((el: HTMLCanvasElement) => {
    const data = el.getContext("2d")!.getImageData(0, 0, el.width, el.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
    return painted;
  });
}

async function expectDrawn(page: Page, name: string, unit: string, minPoints = 2): Promise<void> {
  const c = card(page, name);
  await expect(c.getByTestId("channel-last")).toHaveText(/^-?\d/);
  await expect(c.locator(".channel-unit")).toHaveText(unit);
  const sparkline = c.getByTestId("sparkline");
  await expect.poll(async () => Number(await sparkline.getAttribute("data-points"))).toBeGreaterThanOrEqual(minPoints);
  expect(await paintedPixels(sparkline)).toBeGreaterThan(50);
}

test("power rails stream to the Channels tab and end in the results with measurements and CSVs", async ({ page, request }) => {
  const runId = await launch(request, "station/test_power.py", "PSU-2041-00018");
  await page.goto(`/live/${runId}#channels`);
  await expect(page.getByRole("tab", { name: /Channels/ })).toHaveAttribute("aria-selected", "true");
  for (const name of POWER_CHANNELS) await expectDrawn(page, name, name === "psu.current" ? "A" : "V");
  await expect(page.getByTestId("channel")).toHaveCount(POWER_CHANNELS.length);
  // the rails and the current declare limits: dashed lines on their sparklines, and in words
  await expect(card(page, "psu.3V3").getByTestId("channel-limits")).toHaveText("limits [3.234, 3.366]");
  await expect(card(page, "psu.3V3").getByTestId("sparkline")).toHaveAttribute("data-limits", "2");
  await expect(card(page, "psu.current").getByTestId("channel-limits")).toHaveText("limits ≤ 0.15");
  await expect(card(page, "psu.current").getByTestId("sparkline")).toHaveAttribute("data-limits", "1");
  await expect(pill(page)).toHaveText("PASSED", { timeout: 20_000 });
  await expect(card(page, "psu.3V3").locator(".channel-count")).toHaveText("30");
  await page.screenshot({ path: `${SHOTS}/live-channels-passed.png` });

  await page.getByRole("tab", { name: /Events/ }).click();
  await expect(page.locator('.event[data-kind="measurement"]').first()).toContainText(/rail_3V3 = 3\.\d+ V \[3\.234, 3\.366\] PASS/);

  await page.getByRole("link", { name: "View Full Results →" }).click();
  const measurements = page.getByTestId("measurements").locator("tbody tr");
  await expect(measurements).toHaveCount(4);
  await expect(measurements.locator(".verdict")).toHaveText(["PASS", "PASS", "PASS", "PASS"]);
  await expect(measurements.filter({ hasText: "quiescent_current" })).toContainText("0.15");
  const channels = page.getByTestId("channel-table").locator("tbody tr");
  await expect(channels).toHaveCount(POWER_CHANNELS.length);
  await expect(channels.filter({ hasText: "psu.5V0" })).toContainText("[4.9, 5.1]");
  await expect.poll(async () => Number(await channels.first().getByTestId("sparkline").getAttribute("data-points"))).toBeGreaterThan(1);
  await page.screenshot({ path: `${SHOTS}/result-measurements.png`, fullPage: true });

  const href = await channels.filter({ hasText: "psu.current" }).getByRole("link", { name: "CSV" }).getAttribute("href");
  expect(href).toBe(`/api/runs/${runId}/channels/psu.current/samples.csv`);
  const csv = await page.request.get(href!);
  expect(csv.ok()).toBe(true);
  const lines = (await csv.text()).trim().split("\n");
  expect(lines[0]).toBe("t,value");
  expect(lines).toHaveLength(401);
  expect(lines[1]).toMatch(/^\d+(\.\d+)?,-?\d/);
});

test("a reload in the middle of a burn-in restores its channels at once", async ({ page, request }) => {
  const runId = await launch(request, "station/test_burn_in.py", "BURN-0104");
  await page.goto(`/live/${runId}#channels`);
  await expect(pill(page)).toHaveText("RUNNING");
  await expect.poll(async () => Number(await card(page, "dut.fan_rpm").locator(".channel-count").textContent()), { timeout: 15_000 })
    .toBeGreaterThanOrEqual(60);
  for (const name of BURN_IN_CHANNELS) await expectDrawn(page, name, { "dut.temperature": "C", "dut.load": "%", "dut.fan_rpm": "rpm" }[name]!);
  await page.screenshot({ path: `${SHOTS}/live-channels.png` });
  const before = Number(await card(page, "dut.fan_rpm").locator(".channel-count").textContent());

  await page.reload();
  await expect(page.getByRole("tab", { name: /Channels/ })).toHaveAttribute("aria-selected", "true");
  await expect(page.getByTestId("channel")).toHaveCount(BURN_IN_CHANNELS.length);
  expect(Number(await card(page, "dut.fan_rpm").locator(".channel-count").textContent())).toBeGreaterThanOrEqual(before);
  await expectDrawn(page, "dut.fan_rpm", "rpm", 20);
  // the burn-in lasts ~15 s: on a loaded machine it may end while this test works, so the pill reads the live status either way
  await expect(pill(page)).toHaveText(/^(RUNNING|PASSED)$/);
  const load = card(page, "dut.load");
  await expect(load.locator(".channel-count")).toHaveText(/^(1[2-9]|[2-9]\d)$/, { timeout: 15_000 });
  await expect(load.getByTestId("channel-last")).toHaveText(/^(75|100)$/);
  await page.screenshot({ path: `${SHOTS}/live-channels-after-reload.png` });
  await page.screenshot({ path: `${SHOTS}/live-readme.png`, clip: { x: 0, y: 0, width: 1360, height: 480 } });
  await request.post(`/api/runs/${runId}/abort`);
});
