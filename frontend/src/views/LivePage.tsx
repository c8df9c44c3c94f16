// /live/<run_id>: the status card pinned on top, then Events / Channels / Output tabs.
import { useEffect, useState } from "preact/hooks";
import { abort, connectionFailure, run, unwatch, watch } from "../store";
import { openPrompts } from "../prompts";
import { isFinal, type RunState } from "../state";
import { ChannelsPanel } from "./ChannelsPanel";
import { CopyButton } from "./CopyButton";
import { EventsList } from "./EventsList";
import { duration, isActive, statusTone, stepName } from "./format";
import { Link } from "./Link";
import { pure } from "./pure";
import { OutputTail } from "./OutputTail";
import { PromptModal } from "./PromptModal";
import { StatusPill } from "./StatusPill";

const TABS = ["events", "channels", "output"] as const;
type Tab = (typeof TABS)[number];

export function LivePage({ runId }: { runId: string }) {
  useEffect(() => {
    watch(runId);
    return unwatch;
  }, [runId]);
  const state = run.value;
  const isDisconnected = connectionFailure.value !== null && !isFinal(state?.status ?? null);
  if (!state || state.runId !== runId) return null;
  if (state.isNotFound) return <NotFound runId={runId} />;
  const { status, meta, counts, currentStep, complete } = state;
  return (
    <section class="live">
      <StatusCard {...{ runId, status, meta, counts, currentStep, complete, isDisconnected }} />
      <RunTabs state={state} />
      {state.complete && (
        <footer class="live-footer" data-status={statusTone(state.status)}>
          <span>Run finished: {state.complete.status}. The timeline above is complete.</span>
          <Link href={`/results/${state.runId}`} class="button primary">View Full Results →</Link>
        </footer>
      )}
      <PromptModal runId={runId} open={openPrompts(state.prompts)} />
    </section>
  );
}

export function NotFound({ runId }: { runId: string }) {
  return (
    <section class="notice" data-tone="error" data-testid="not-found">
      <h1>Run not found</h1>
      <p>There is no run with id <code>{runId}</code> on this server.</p>
      <p><Link href="/results">Browse results</Link> · <Link href="/launch">Launch a test</Link></p>
    </section>
  );
}

/** What the status card shows: the parts of the run state that change with progress, not with every line. */
type Summary = Pick<RunState, "runId" | "status" | "meta" | "counts" | "currentStep" | "complete">;

// Pure: a new run state arrives every frame while a test prints, but these parts rarely change.
const StatusCard = pure(function StatusCard({ isDisconnected, ...state }: Summary & { isDisconnected: boolean }) {
  const tone = isDisconnected ? "error" : statusTone(state.status);
  return (
    <header class="card status-card" data-status={tone}>
      <div class="status-row">
        <StatusPill status={state.status} isDisconnected={isDisconnected} />
        <div class="run-title">
          <h1>{state.meta?.test_path ?? "Run"}</h1>
          <div class="run-id">
            <span class="label">Run</span> <code data-testid="run-id">{state.runId}</code> <CopyButton text={state.runId} />
          </div>
        </div>
        <RunFacts state={state} />
        <div class="status-actions">
          {!state.complete && isActive(state.status) && !isDisconnected && <AbortControl runId={state.runId} />}
        </div>
      </div>
      <ProgressBlock state={state} tone={tone} />
    </header>
  );
});

function ProgressBlock({ state, tone }: { state: Summary; tone: string }) {
  const { done, total, passed, skipped } = state.counts;
  const failed = state.counts.failed + state.counts.errors;
  const percent = total > 0 ? Math.min(100, (100 * done) / total) : state.complete ? 100 : 0;
  return (
    <div class="progress">
      <div class="bar" data-status={tone} role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={done} data-testid="progress-bar">
        <span style={{ width: `${percent}%` }} />
      </div>
      <div class="progress-text">
        <span class="step-label" data-testid="current-step">{progressLabel(state)}</span>
        <span class="counts">
          <b>{done}</b>/{total} steps · <span data-outcome={passed ? "passed" : undefined}>{passed} passed</span> ·{" "}
          <span data-outcome={failed ? "failed" : undefined}>{failed} failed</span>
          {skipped > 0 && <> · {skipped} skipped</>}
        </span>
      </div>
    </div>
  );
}

function progressLabel(state: Summary): string {
  if (state.complete) return `${state.complete.reason || `Finished: ${state.complete.status}`} in ${duration(state.complete.duration)}`;
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

function AbortControl({ runId }: { runId: string }) {
  const [isConfirming, setConfirming] = useState(false);
  if (!isConfirming) return <button class="danger" onClick={() => setConfirming(true)}>Abort</button>;
  return (
    <span class="confirm" role="group" aria-label="Confirm abort">
      <span>Abort this run?</span>
      <button class="danger" onClick={() => { setConfirming(false); void abort(runId); }}>Abort run</button>
      <button class="ghost" onClick={() => setConfirming(false)}>Keep running</button>
    </span>
  );
}

function RunTabs({ state }: { state: RunState }) {
  const [tab, setTab] = useState<Tab>(tabInUrl);
  const tabs: [Tab, string, number | null][] = [
    ["events", "Events", state.timeline.length + state.timeline.dropped],
    ["channels", "Channels", state.channels.length],
    ["output", "Output", null],
  ];
  return (
    <div class="card tabs">
      <div class="tab-bar" role="tablist">
        {tabs.map(([id, label, count]) => (
          <button role="tab" key={id} aria-selected={tab === id} onClick={() => setTab(showTab(id))}>
            {label}{count !== null && <span class="count">{count}</span>}
          </button>
        ))}
      </div>
      <div class="tab-panel" role="tabpanel">
        {tab === "events" && <EventsList timeline={state.timeline} prompts={state.prompts} />}
        {tab === "channels" && <ChannelsPanel channels={state.channels} />}
        {tab === "output" && <OutputTail lines={state.output} />}
      </div>
    </div>
  );
}

/** The open tab lives in the URL's fragment, so a reload or a shared link opens it again. */
function tabInUrl(): Tab {
  return TABS.find((t) => `#${t}` === location.hash) ?? "events";
}

function showTab(tab: Tab): Tab {
  history.replaceState(history.state, "", tab === "events" ? location.pathname + location.search : `#${tab}`);
  return tab;
}
