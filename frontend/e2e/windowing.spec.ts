// The Events tab with a server stand-in (Playwright's WebSocket route) that sends 100,000
// records in catch-up batches: the DOM holds only the visible rows, and the tail is followed
// until the user scrolls up, after which new records are counted in the "N new" pill. The
// results page's Measurements table is windowed the same way.
import { expect, test, type Page, type WebSocketRoute } from "@playwright/test";

const RUN = "synthetic-100k";
const TOTAL = 100_000;
const BATCH = 2_000;

function output(seq: number) {
  const ts = new Date(Date.UTC(2026, 0, 1, 0, 0, 0, seq)).toISOString();
  return { type: "event", run_id: RUN, seq, ts, data: { kind: "output", stream: seq % 10 === 0 ? "stderr" : "stdout", line: `sample line ${seq}` } };
}

function sendRange(ws: WebSocketRoute, from: number, to: number): void {
  for (let start = from; start <= to; start += BATCH) {
    const batch = [];
    for (let seq = start; seq <= Math.min(to, start + BATCH - 1); seq++) batch.push(output(seq));
    ws.send(JSON.stringify(batch));
  }
}

/** A server stand-in that answers a subscription to `run` with `records`, all in one batch. */
async function serveRun(page: Page, run: string, records: object[], status: string): Promise<void> {
  await page.routeWebSocket("/ws", (ws) => {
    ws.onMessage((text) => {
      if ((JSON.parse(String(text)) as { type: string }).type !== "subscribe") return;
      ws.send(JSON.stringify({ type: "subscribed", run_id: run, since_seq: 0, head_seq: records.length, status }));
      ws.send(JSON.stringify(records));
    });
  });
}

test("100,000 events render windowed and the tail is followed until the user scrolls up", async ({ page }) => {
  let server: WebSocketRoute | undefined;
  await page.routeWebSocket("/ws", (ws) => {
    server = ws;
    ws.send(JSON.stringify({ type: "welcome", protocol: "litmus-live.v1", server: "stand-in" }));
    ws.onMessage((text) => {
      const msg = JSON.parse(String(text)) as { type: string; run_id: string };
      if (msg.type !== "subscribe") return;
      ws.send(JSON.stringify({ type: "subscribed", run_id: RUN, since_seq: 0, head_seq: TOTAL, status: "RUNNING" }));
      sendRange(ws, 1, TOTAL);
    });
  });
  await page.goto(`/live/${RUN}`);
  const events = page.getByTestId("events");
  // 100,000 records pass through Playwright's WebSocket route (the test process, then CDP): on a
  // loaded machine that alone takes over 10 s, so the catch-up gets a wait of its own.
  await expect(page.getByRole("tab", { name: /Events/ }).locator(".count")).toHaveText(String(TOTAL), { timeout: 30_000 });
  await expect(events).toContainText(`sample line ${TOTAL}`);
  expect(await events.locator(".event").count()).toBeLessThan(200);
  const lastRow = events.locator(".event", { hasText: `sample line ${TOTAL}` });
  await lastRow.hover();
  await expect(lastRow).toHaveAttribute("title", `sample line ${TOTAL}`); // the full text, set when pointed at
  await page.screenshot({ path: "test-results/screenshots/events-100k.png" });

  await events.evaluate((el) => el.scrollTo(0, 0));
  await expect(events).toContainText("sample line 1");
  sendRange(server!, TOTAL + 1, TOTAL + 5);
  await expect(page.getByTestId("new-events")).toHaveText("5 new ↓");
  await expect(events).not.toContainText(`sample line ${TOTAL + 5}`);

  await page.getByTestId("new-events").click();
  await expect(events).toContainText(`sample line ${TOTAL + 5}`);
  await expect(page.getByTestId("new-events")).toHaveCount(0);
});

test("a run with nothing logged yet reads Starting... in blue", async ({ page }) => {
  await page.routeWebSocket("/ws", (ws) => {
    ws.onMessage(() => ws.send(JSON.stringify({ type: "subscribed", run_id: "fresh", since_seq: 0, head_seq: 0, status: "STARTING" })));
  });
  await page.goto("/live/fresh");
  const pill = page.getByTestId("status-pill");
  await expect(pill).toHaveText("Starting...");
  await expect(pill).toHaveAttribute("data-status", "starting");
  await expect(page.getByTestId("current-step")).toHaveText("Waiting for the test to start");
});

test("Events filter by kind and text, and jump to the first failure far up the list", async ({ page }) => {
  const run = "filtered";
  const ts = new Date().toISOString();
  const records: object[] = [];
  for (let seq = 1; seq <= 5_000; seq++) {
    const data = seq === 1234
      ? { kind: "step_finished", nodeid: "station/t.py::test_can_bus_ack", outcome: "failed", duration: 0.5, reason: "CAN frame 0x1A3 not acknowledged" }
      : seq === 3000
        ? { kind: "measurement", name: "rail_5V0", value: 5.4, low: 4.9, high: 5.1, unit: "V", verdict: "FAIL", step: null }
        : { kind: "output", stream: "stdout", line: `sample line ${seq}` };
    records.push({ type: "event", run_id: run, seq, ts, data });
  }
  await serveRun(page, run, records, "RUNNING");
  await page.goto(`/live/${run}`);
  const events = page.getByTestId("events");
  await expect(events).toContainText("sample line 5000");

  await page.getByTestId("jump-failure").click();
  const marked = events.locator(".event[data-marked]");
  await expect(marked).toContainText("FAILED test_can_bus_ack");
  await expect(marked).toBeInViewport();
  await expect(events).not.toContainText("sample line 5000");

  await page.getByTestId("events-show").selectOption("failures");
  await expect(page.getByTestId("events-matches")).toHaveText("2 shown");
  await expect(events).toContainText("rail_5V0 = 5.4 V [4.9, 5.1] FAIL");
  await page.getByTestId("events-show").selectOption("all");
  await page.getByTestId("events-search").fill("sample line 42");
  await expect(page.getByTestId("events-matches")).toHaveText("111 shown"); // 42, 420-429 and 4200-4299
});

test("a results page with 5,000 measurements holds only the rows in view, and scrolls to the last", async ({ page }) => {
  const run = "synthetic-measured";
  const count = 5_000;
  const at = (seq: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, seq)).toISOString();
  const measured = (seq: number) => ({
    type: "event", run_id: run, seq, ts: at(seq),
    data: { kind: "measurement", name: `rail_${seq}`, value: seq / 100, low: 0, high: 100, unit: "V", verdict: "PASS", step: null },
  });
  const records = [...Array.from({ length: count }, (_, i) => measured(i + 1)),
    { type: "complete", run_id: run, seq: count + 1, ts: at(count + 1), status: "PASSED", exit_code: 0, reason: "", duration: 5 }];
  await serveRun(page, run, records, "PASSED");
  await page.goto(`/results/${run}`);
  const table = page.getByTestId("measurements");
  await expect(page.locator("#measurements-heading .count")).toHaveText(String(count));
  await expect(table).toContainText("rail_1");
  expect(await table.locator("tbody tr:not(.spacer)").count()).toBeLessThan(100);
  const rowHeights = await table.locator("tbody tr:not(.spacer)").evaluateAll((rows) => rows.map((r) => r.getBoundingClientRect().height));
  expect(new Set(rowHeights)).toEqual(new Set([36])); // the height the window's arithmetic counts on

  const box = page.getByTestId("measurements-window");
  await box.scrollIntoViewIfNeeded(); // the page brings the table's box into view; the box scrolls inside
  await box.evaluate((el) => el.scrollTo(0, el.scrollHeight));
  await expect(table).toContainText(`rail_${count}`);
  await expect(table.getByText("rail_1", { exact: true })).toHaveCount(0); // the first rows left the DOM
  expect(await table.locator("tbody tr:not(.spacer)").count()).toBeLessThan(100);
  await expect(table.getByText(`rail_${count}`, { exact: true })).toBeInViewport();
});

test("a step with 3,000 readings lists the latest 20 on the Steps tab, and counts the earlier ones and their failures", async ({ page }) => {
  const run = "synthetic-step-readings";
  const step = "station/test_rails.py::test_sweep";
  const at = (seq: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, seq)).toISOString();
  const event = (seq: number, data: object) => ({ type: "event", run_id: run, seq, ts: at(seq), data });
  const reading = (seq: number) => event(seq, {
    kind: "measurement", name: `point_${seq}`, value: seq, low: 0, high: 10_000, unit: "mV", verdict: seq === 10 ? "FAIL" : "PASS", step,
  });
  const records = [
    event(1, { kind: "run_created", test_path: "station/test_rails.py", uut_serial: "SWEEP-1", operator: "ops", station: "" }),
    event(2, { kind: "collected", count: 1, nodeids: [step] }),
    event(3, { kind: "step_started", nodeid: step }),
    ...Array.from({ length: 3_000 }, (_, i) => reading(i + 4)),
  ];
  await serveRun(page, run, records, "RUNNING");
  await page.goto(`/live/${run}#steps`);
  const steps = page.getByTestId("live-steps");
  await expect(steps).toContainText(`point_${records.length}`);
  await expect(steps.locator(".step-readings li:not([data-testid])")).toHaveCount(20);
  await expect(steps.getByTestId("earlier-readings")).toHaveText("2,980 earlier readings, 1 of them failed");
  await expect(steps).not.toContainText(`point_${records.length - 20}`);
});
