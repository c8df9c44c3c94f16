// The live page's status card: verdict pill, what runs where, progress as the record counts it,
// elapsed time with an estimate of what is left, and Abort while the run is live. Until the
// catch-up reaches the server's head it says it is loading (a finished run never reads
// "Starting..." with a live Abort on its way in).
import type { Typical } from "../estimate";
import type { RunState } from "../state";
import { AbortControl } from "./AbortControl";
import { CopyButton } from "./CopyButton";
import { isActive, statusTone, stepName } from "./format";
import { pure } from "./pure";
import { RunClock } from "./RunClock";
import { StatusPill } from "./StatusPill";

/** What the status card shows: the parts of the run state that change with progress, not with every line. */
export type Summary = Pick<RunState, "runId" | "status" | "meta" | "counts" | "currentStep" | "complete">;

interface CardProps extends Summary {
  isDisconnected: boolean;
  /** Records held and the server's head while catching up; both 0 once caught up. */
  loadedSeq: number;
  headSeq: number;
  typical: Typical | null;
}

// Pure: a new run state arrives every frame while a test prints, but these parts rarely change.
export const StatusCard = pure(function StatusCard({ isDisconnected, loadedSeq, headSeq, typical, ...state }: CardProps) {
  const isLoading = headSeq > 0;
  const tone = isDisconnected ? "error" : isLoading ? "loading" : statusTone(state.status);
  return (
    <header class="card status-card" data-status={tone} data-loading={isLoading}>
      <div class="status-row">
        <StatusPill status={state.status} isDisconnected={isDisconnected} isLoading={isLoading} />
        <div class="run-title">
          <h1>{state.meta?.test_path ?? "Run"}</h1>
          <div class="run-id">
            <span class="label">Run</span> <code data-testid="run-id">{state.runId}</code> <CopyButton text={state.runId} />
          </div>
        </div>
        <RunFacts state={state} />
        {!isLoading && <RunClock createdAt={state.meta?.created_at ?? null} complete={state.complete} typical={typical} />}
        <div class="status-actions">
          {canAbort(state, isLoading || isDisconnected) && <AbortControl runId={state.runId} />}
        </div>
      </div>
      <ProgressBlock state={state} tone={tone} loading={isLoading ? loadingText(loadedSeq, headSeq) : ""} />
    </header>
  );
});

function canAbort(state: Summary, isHeld: boolean): boolean {
  return !isHeld && !state.complete && isActive(state.status);
}

function loadingText(loadedSeq: number, headSeq: number): string {
  return `Loading the run's record: ${loadedSeq.toLocaleString("en")} of ${headSeq.toLocaleString("en")} records`;
}

function ProgressBlock({ state, tone, loading }: { state: Summary; tone: string; loading: string }) {
  const { done, total, passed, skipped } = state.counts;
  const failed = state.counts.failed + state.counts.errors;
  const percent = total > 0 ? Math.min(100, (100 * done) / total) : 0;
  const notDone = state.complete ? total - done : 0;
  return (
    <div class="progress">
      <div class="bar" data-status={tone} role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={done} data-testid="progress-bar">
        <span style={{ width: `${loading ? 0 : percent}%` }} />
      </div>
      <div class="progress-text">
        <span class="step-label" data-testid="current-step">{loading || progressLabel(state)}</span>
        {!loading && (
          <span class="counts" data-testid="counts">
            <b>{done}</b>/{total} steps · <span data-outcome={passed ? "passed" : undefined}>{passed} passed</span> ·{" "}
            <span data-outcome={failed ? "failed" : undefined}>{failed} failed</span>
            {skipped > 0 && <> · {skipped} skipped</>}
            {notDone > 0 && <> · <span data-outcome="unfinished">{notDone} not finished</span></>}
          </span>
        )}
      </div>
    </div>
  );
}

function progressLabel(state: Summary): string {
  if (state.complete) return state.complete.reason || `Finished: ${state.complete.status}`;
  if (state.currentStep) return `Running ${stepName(state.currentStep)}`;
  return state.status === "RUNNING" ? "Between steps" : "Waiting for the test to start";
}

function RunFacts({ state }: { state: Summary }) {
  const m = state.meta;
  return (
    <dl class="facts">
      <div><dt>UUT Serial</dt><dd>{m?.uut_serial || "—"}</dd></div>
      <div><dt>Station</dt><dd>{m?.station || "—"}</dd></div>
      <div><dt>Operator</dt><dd>{m?.operator || "—"}</dd></div>
    </dl>
  );
}
