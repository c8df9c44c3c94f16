// The end of a run, readable from across the line: the verdict in large type, the reason the
// record gives, what was done, and the way to the full results.
import type { Complete } from "../protocol";
import type { Counts } from "../state";
import { statusTone } from "./format";
import { Link } from "./Link";

export function VerdictBanner({ runId, complete, counts }: { runId: string; complete: Complete; counts: Counts }) {
  const isCutShort = counts.done < counts.total;
  return (
    <footer class="live-footer" data-status={statusTone(complete.status)} data-testid="verdict">
      <strong class="verdict-word" data-testid="verdict-word">{complete.status}</strong>
      <div class="verdict-detail">
        <span>Run finished: {complete.status}. The timeline is complete.</span>
        {complete.reason && <span class="verdict-why">{complete.reason}</span>}
        {isCutShort && <span class="verdict-why">{counts.done} of {counts.total} steps finished</span>}
      </div>
      <Link href={`/results/${encodeURIComponent(runId)}`} class="button primary">View Full Results →</Link>
    </footer>
  );
}
