// Readings the demo suite does not produce, from a server stand-in (Playwright's WebSocket
// route): a measurement out of limits reads red in the Events tab and the results, and
// boolean and string channels show their last value (a step line for booleans).
import { expect, test } from "@playwright/test";

const RUN = "synthetic-readings";
const T0 = 1_795_493_559;
const ts = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

function measurement(seq: number, name: string, value: number, low: number | null, high: number | null, verdict: "PASS" | "FAIL") {
  return { type: "event", run_id: RUN, seq, ts: ts(seq), data: { kind: "measurement", name, value, low, high, unit: "V", verdict, step: "station/test_rails.py::test_rail" } };
}

const LOG = [
  { type: "event", run_id: RUN, seq: 1, ts: ts(1), data: { kind: "run_created", test_path: "station/test_rails.py", uut_serial: "SYN-1", operator: "qa", station: "ST-01" } },
  measurement(2, "rail_5V0", 5.012, 4.9, 5.1, "PASS"),
  measurement(3, "rail_12V", 12.61, 11.76, 12.24, "FAIL"),
];

const CHANNELS = {
  type: "channels", run_id: RUN, is_snapshot: true,
  channels: [
    { name: "relay.k1", unit: "", count: 6, last: true, last_t: T0 + 5, min: null, max: null, points: [0, 1, 2, 3, 4, 5].map((i) => [T0 + i, i % 3 !== 1]) },
    { name: "dut.mode", unit: "", count: 3, last: "selftest", last_t: T0 + 2, min: null, max: null, points: [[T0, "boot"], [T0 + 1, "idle"], [T0 + 2, "selftest"]] },
  ],
};

test("a failed measurement reads red; boolean and string channels show their last value", async ({ page }) => {
  await page.routeWebSocket("/ws", (ws) => {
    ws.onMessage((text) => {
      if ((JSON.parse(String(text)) as { type: string }).type !== "subscribe") return;
      ws.send(JSON.stringify({ type: "subscribed", run_id: RUN, since_seq: 0, head_seq: LOG.length, status: "RUNNING" }));
      ws.send(JSON.stringify([...LOG, CHANNELS]));
    });
  });
  await page.goto(`/live/${RUN}`);
  const failed = page.locator('.event[data-kind="measurement"][data-tone="fail"]');
  await expect(failed).toHaveText(/rail_12V = 12\.61 V \[11\.76, 12\.24\] FAIL/);
  await expect(failed.locator(".event-text")).toHaveCSS("color", "rgb(198, 40, 40)");
  await expect(page.locator('.event[data-tone="pass"]')).toContainText("rail_5V0 = 5.012 V [4.9, 5.1] PASS");
  await page.screenshot({ path: "test-results/screenshots/events-measurements.png" });

  await page.getByRole("tab", { name: /Channels/ }).click();
  const relay = page.locator('[data-channel="relay.k1"]');
  await expect(relay.getByTestId("channel-last")).toHaveText("true");
  await expect(relay.getByTestId("sparkline")).toHaveAttribute("data-points", "6");
  const mode = page.locator('[data-channel="dut.mode"]');
  await expect(mode.getByTestId("channel-last")).toHaveText("selftest");
  await expect(mode.locator(".recent-values li")).toHaveText(["selftest", "idle", "boot"]);
  await page.screenshot({ path: "test-results/screenshots/channels-bool-string.png" });

  await page.goto(`/results/${RUN}`);
  const row = page.getByTestId("measurements").locator('tr[data-verdict="fail"]');
  await expect(row).toContainText("rail_12V");
  await expect(row.locator(".verdict")).toHaveCSS("background-color", "rgb(198, 40, 40)");
  await expect(page.getByTestId("channel-table").locator("tbody tr")).toHaveCount(2);
  await page.screenshot({ path: "test-results/screenshots/result-measurement-failed.png" });
});
