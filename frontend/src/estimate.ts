// How long a run of a test path usually takes, from earlier finished runs of the same path in
// the run history (/api/runs). Runs cut short (aborted, error) do not count. Pure, no I/O.
import type { RunSummary } from "./api";

export interface Typical {
  /** Median duration in seconds. */
  seconds: number;
  /** How many earlier runs it is the median of. */
  runs: number;
}

export function typicalDuration(history: RunSummary[], testPath: string, exceptRunId: string): Typical | null {
  const durations = history
    .filter((r) => r.test_path === testPath && r.run_id !== exceptRunId && !r.is_live && (r.status === "PASSED" || r.status === "FAILED"))
    .map((r) => (r.finished_at ? (Date.parse(r.finished_at) - Date.parse(r.created_at)) / 1000 : NaN))
    .filter((s) => Number.isFinite(s) && s >= 0)
    .sort((a, b) => a - b);
  if (durations.length === 0) return null;
  const middle = durations.length >> 1;
  const seconds = durations.length % 2 ? durations[middle]! : (durations[middle - 1]! + durations[middle]!) / 2;
  return { seconds, runs: durations.length };
}
