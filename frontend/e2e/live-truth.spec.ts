// The live page tells what the record tells, with a server stand-in that hands over records
// when the test says so: a finished run loads before it shows a verdict (no "Starting..." and
// no Abort on the way in); a run cut short counts only what finished; Output stays at its end
// when the verdict appears below it; addresses that name no run say so and leave the app alive.
import { expect, test, type Page, type WebSocketRoute } from "@playwright/test";
import { isCoveredByToast } from "./layout";

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 8, 0, s)).toISOString();
const ev = (run_id: string, seq: number, s: number, data: object) => ({ type: "event", run_id, seq, ts: at(s), data });
const steps = ["t::probe", "t::flash", "t::verify", "t::label"].map((n) => `station/test_line.py::${n.slice(3)}`);

function cutShort(run_id: string) {
  const lines = Array.from({ length: 60 }, (_, i) => ev(run_id, 5 + i, 3, { kind: "output", stream: "stdout", line: `line ${i + 1}` }));
  return [
    ev(run_id, 1, 0, { kind: "run_created", test_path: "station/test_line.py", uut_serial: "CUT-1", operator: "ops", station: "" }),
    ev(run_id, 2, 1, { kind: "collected", count: 4, nodeids: steps }),
    ev(run_id, 3, 1, { kind: "step_started", nodeid: steps[0] }),
    ev(run_id, 4, 2, { kind: "step_finished", nodeid: steps[0], outcome: "passed", duration: 0.8 }),
    ...lines,
    { type: "progress", run_id, seq: 65, ts: at(2), status: "RUNNING", total: 4, done: 1, passed: 1, current_step: null },
    ev(run_id, 66, 3, { kind: "step_started", nodeid: steps[1] }),
    ev(run_id, 67, 12, { kind: "output", stream: "stdout", line: "=== 1 passed, 1 interrupted in 12.00s ===" }),
    { type: "complete", run_id, seq: 68, ts: at(12), status: "ABORTED", exit_code: 2, reason: "aborted by the operator", duration: 12 },
  ];
}

/** Subscribing gets `subscribed` at once; the records follow when the test calls send(from, to). */
async function standIn(page: Page, run_id: string, status: string, records: object[], head = records.length) {
  let socket: WebSocketRoute | undefined;
  const subscribes: string[] = [];
  await page.routeWebSocket("/ws", (ws) => {
    socket = ws;
    ws.send(JSON.stringify({ type: "active_runs", runs: [] }));
    ws.onMessage((text) => {
      const msg = JSON.parse(String(text)) as { type: string; run_id?: string };
      if (msg.type !== "subscribe") return;
      subscribes.push(msg.run_id ?? "");
      ws.send(JSON.stringify({ type: "subscribed", run_id, since_seq: 0, head_seq: head, status }));
    });
  });
  /** Sends records[from, to) once the page's subscription number `nth` (1 = the first) has arrived. */
  const send = async (from: number, to: number, nth = 1) => {
    await expect.poll(() => subscribes.length).toBeGreaterThanOrEqual(nth);
    socket!.send(JSON.stringify(records.slice(from, to)));
  };
  const close = () => void socket!.close({ code: 1011, reason: "server went away" });
  return { send, close, subscribes };
}

const pill = (page: Page) => page.getByTestId("status-pill");

test("a finished run reads LOADING, without Abort, until its record is in; then its verdict", async ({ page }) => {
  const records = cutShort("r-loading");
  const server = await standIn(page, "r-loading", "ABORTED", records);
  await page.goto("/live/r-loading");
  await expect(pill(page)).toHaveText("LOADING");
  await expect(page.getByTestId("current-step")).toHaveText("Loading the run's record: 0 of 68 records");
  await server.send(0, 30);
  await expect(page.getByTestId("current-step")).toHaveText("Loading the run's record: 30 of 68 records");
  await expect(pill(page)).toHaveText("LOADING");
  await expect(page.getByRole("button", { name: "Abort" })).toHaveCount(0);
  await expect(page.getByText("Starting...")).toHaveCount(0);
  await server.send(30, records.length);
  await expect(pill(page)).toHaveText("ABORTED");
  await expect(page.getByTestId("verdict-word")).toHaveText("ABORTED");
});

test("a run cut short counts only the steps it finished and names the interrupted one", async ({ page }) => {
  const records = cutShort("r-cut");
  const server = await standIn(page, "r-cut", "ABORTED", records);
  await page.goto("/live/r-cut");
  await server.send(0, records.length);
  await expect(page.getByTestId("counts")).toContainText("1/4 steps");
  await expect(page.getByTestId("counts")).toContainText("3 not finished");
  await expect(page.getByTestId("progress-bar").locator("span")).toHaveAttribute("style", /width: 25%/);
  await expect(page.getByTestId("elapsed")).toHaveText("12.00 s");
  await expect(page.getByTestId("verdict")).toContainText("1 of 4 steps finished");
  await page.getByRole("tab", { name: /Steps/ }).click();
  const rows = page.getByTestId("live-steps").locator("tbody tr");
  await expect(rows.nth(0)).toContainText("passed");
  await expect(rows.nth(1)).toContainText(/interrupted.*9\.00 s/);
  await expect(rows.nth(1)).toContainText("aborted by the operator");
  await expect(rows.nth(2)).toContainText("not run");
});

test("Output stays at its last line when the verdict appears below it, and links the full log", async ({ page }) => {
  const records = cutShort("r-output");
  const server = await standIn(page, "r-output", "RUNNING", records);
  await page.goto("/live/r-output#output");
  await server.send(0, records.length - 2);
  const output = page.getByTestId("output");
  await expect(output).toContainText("line 60");
  await server.send(records.length - 2, records.length);
  await expect(page.getByTestId("verdict")).toBeVisible();
  const summary = output.getByText("1 passed, 1 interrupted");
  await expect(summary).toBeInViewport();
  await expect.poll(() => output.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThanOrEqual(4);
  await expect(page.getByTestId("full-log")).toHaveAttribute("href", "/api/runs/r-output/output");
});

test("a connection lost twice is one toast with a count, and toasts never cover the verdict", async ({ page }) => {
  const records = cutShort("r-toast");
  const server = await standIn(page, "r-toast", "ABORTED", records);
  await page.goto("/live/r-toast");
  await server.send(0, records.length);
  await expect(page.getByTestId("verdict")).toBeVisible();
  server.close();
  const toast = page.locator(".toast");
  await expect(toast).toContainText("ConnectionLost");
  await expect(toast).toContainText("(code 1011: server went away). Refresh to reconnect.");
  expect(await isCoveredByToast(page, "[data-testid=verdict]")).toBe(false);

  await page.getByRole("link", { name: "Launch Test" }).click();
  await page.goBack(); // the live page again: a new connection, which drops the same way
  await server.send(0, records.length, 2);
  await expect(page.getByTestId("verdict")).toBeVisible();
  server.close();
  await expect(toast).toHaveCount(1);
  await expect(toast).toContainText("ConnectionLost ×2");
  expect(await isCoveredByToast(page, "[data-testid=verdict]")).toBe(false);
});

test("on a narrow screen one toast shows at a time, the older ones behind a count, and none covers the verdict", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  const records = [
    ev("r-narrow", 1, 0, { kind: "run_created", test_path: "station/test_line.py", uut_serial: "CUT-2", operator: "ops", station: "" }),
    ev("r-narrow", 2, 1, { kind: "collected", count: 4, nodeids: steps }),
    ev("r-narrow", 3, 1, { kind: "step_started", nodeid: steps[0] }),
    { type: "complete", run_id: "r-narrow", seq: 4, ts: at(5), status: "ERROR", exit_code: 3, reason: "the fixture lost power", duration: 5 },
  ];
  const server = await standIn(page, "r-narrow", "RUNNING", records, 3);
  await page.goto("/live/r-narrow");
  await server.send(0, 3);
  await expect(pill(page)).toHaveText("RUNNING");
  await server.send(3, 4); // ends live: a toast says why
  await expect(page.locator(".toast")).toContainText("Run ended in ERROR");
  server.close(); // a second toast
  const toast = page.locator(".toast");
  await expect(toast).toContainText("ConnectionLost");
  await expect(toast).toHaveCount(1);
  await expect(page.locator(".toast-more")).toContainText("1 older message");
  await expect(page.getByTestId("verdict")).toBeVisible();
  expect(await isCoveredByToast(page, "[data-testid=verdict]")).toBe(false);

  await page.setViewportSize({ width: 1280, height: 800 });
  await expect(toast).toHaveCount(2);
  await expect(page.locator(".toast-more")).toHaveCount(0);
});

test("an address that does not decode, or a run id too long to be one, says so and leaves the app working", async ({ page }) => {
  const server = await standIn(page, "r-none", "RUNNING", []);
  await page.goto("/live/%E0%A4%A");
  await expect(page.getByRole("heading", { name: "This address does not name a run" })).toBeVisible();
  await expect(page.getByTestId("bad-address")).toContainText("'%E0%A4%A' is not valid percent-encoding");
  await page.goto(`/live/${"x".repeat(3000)}`);
  await expect(page.getByTestId("bad-address")).toContainText("a run id has at most 64 characters, this one has 3,000");
  await expect(page.locator(".toast")).toHaveCount(0);
  expect(server.subscribes).toEqual([]);
  await page.getByRole("link", { name: "Launch Test" }).click();
  await expect(page.getByRole("heading", { name: "Launch Test" })).toBeVisible();
  await expect(page.getByText("No tests running")).toBeVisible();
});
