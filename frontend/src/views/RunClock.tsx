// Elapsed time of a live run, ticking once a second (a clock on screen, not a poll), with what
// is left judging by earlier runs of the same test path; a finished run shows its duration.
import { useEffect, useState } from "preact/hooks";
import type { Typical } from "../estimate";
import type { Complete } from "../protocol";
import { duration } from "./format";

interface Props {
  createdAt: string | null;
  complete: Complete | null;
  typical: Typical | null;
}

export function RunClock({ createdAt, complete, typical }: Props) {
  const now = useNow(complete === null && createdAt !== null);
  if (!createdAt) return null;
  const elapsed = complete ? runDuration(createdAt, complete) : Math.max(0, (now - Date.parse(createdAt)) / 1000);
  return (
    <dl class="facts clock" data-testid="run-clock">
      <div><dt>{complete ? "Duration" : "Elapsed"}</dt><dd data-testid="elapsed">{duration(elapsed)}</dd></div>
      {!complete && typical && <div><dt>Estimate</dt><dd data-testid="estimate" title={`median of ${typical.runs} earlier run(s) of this test`}>{left(elapsed, typical.seconds)}</dd></div>}
    </dl>
  );
}

/** The record's own duration; where it has none (or 0), the time between its first and last records. */
export function runDuration(createdAt: string, complete: Complete): number {
  if (complete.duration) return complete.duration;
  return Math.max(0, (Date.parse(complete.ts) - Date.parse(createdAt)) / 1000);
}

function left(elapsed: number, typical: number): string {
  const rest = typical - elapsed;
  return rest >= 0 ? `~${duration(rest)} left` : `${duration(-rest)} over the usual ${duration(typical)}`;
}

function useNow(isTicking: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!isTicking) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [isTicking]);
  return now;
}
