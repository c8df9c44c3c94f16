import { describe, expect, it } from "vitest";
import type { RunSummary } from "./api";
import { typicalDuration } from "./estimate";

const run = (run_id: string, seconds: number, extra: Partial<RunSummary> = {}): RunSummary => ({
  run_id, test_path: "station/test_power.py", uut_serial: "SN", operator: "", station: "", status: "PASSED", is_live: false,
  created_at: "2026-01-01T00:00:00Z", finished_at: new Date(Date.UTC(2026, 0, 1, 0, 0, seconds)).toISOString(),
  total: 1, done: 1, passed: 1, failed: 0, skipped: 0, errors: 0, ...extra,
}) as RunSummary;

describe("typicalDuration", () => {
  it("is the median of earlier finished runs of the same test path", () => {
    const history = [run("a", 10), run("b", 30), run("c", 20, { status: "FAILED" }), run("d", 50)];
    expect(typicalDuration(history, "station/test_power.py", "x")).toEqual({ seconds: 25, runs: 4 });
  });

  it("leaves out the run itself, live runs, runs cut short and other test paths", () => {
    const history = [
      run("self", 99), run("live", 99, { is_live: true, finished_at: null }), run("aborted", 1, { status: "ABORTED" }),
      run("other", 5, { test_path: "station/test_comms.py" }), run("kept", 12),
    ];
    expect(typicalDuration(history, "station/test_power.py", "self")).toEqual({ seconds: 12, runs: 1 });
    expect(typicalDuration(history.slice(0, 4), "station/test_power.py", "self")).toBeNull();
  });
});
