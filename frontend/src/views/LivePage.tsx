// /live/<run_id>: the status card pinned on top, then Events / Steps / Channels / Output tabs,
// the verdict banner once the run ends, and the prompt dialog while a prompt is open.
import { useEffect, useMemo, useState } from "preact/hooks";
import { typicalDuration } from "../estimate";
import { openPrompts } from "../prompts";
import { entries, isCaughtUp, isFinal, latest, OUTPUT_TAIL, type RunState } from "../state";
import { connectionFailure, history as runHistory, loadHistory, run, unwatch, watch } from "../store";
import { ChannelsPanel } from "./ChannelsPanel";
import { EventsList } from "./EventsList";
import { Link } from "./Link";
import { OutputTail } from "./OutputTail";
import { PromptModal } from "./PromptModal";
import { StatusCard } from "./StatusCard";
import { StepsPanel } from "./StepsPanel";
import { VerdictBanner } from "./VerdictBanner";

const TABS = ["events", "steps", "channels", "output"] as const;
type Tab = (typeof TABS)[number];

export function LivePage({ runId }: { runId: string }) {
  useEffect(() => {
    watch(runId);
    void loadHistory(); // earlier runs of the same test give the estimate of time left
    return unwatch;
  }, [runId]);
  const state = run.value;
  const isDisconnected = connectionFailure.value !== null && !isFinal(state?.status ?? null);
  const typical = useTypical(state);
  if (!state || state.runId !== runId) return null;
  if (state.isNotFound) return <NotFound runId={runId} />;
  const { status, meta, counts, currentStep, complete } = state;
  const isLoading = !isCaughtUp(state);
  const [loadedSeq, headSeq] = isLoading ? [state.lastSeq, Math.max(1, state.headSeq)] : [0, 0];
  return (
    <section class="live">
      <StatusCard {...{ runId, status, meta, counts, currentStep, complete, isDisconnected, loadedSeq, headSeq, typical }} />
      <RunTabs state={state} />
      {complete && !isLoading && <VerdictBanner runId={runId} complete={complete} counts={counts} />}
      {!isLoading && <PromptModal runId={runId} open={openPrompts(state.prompts)} />}
    </section>
  );
}

function useTypical(state: RunState | null) {
  const testPath = state?.meta?.test_path;
  const runs = runHistory.value;
  return testPath && runs ? typicalDuration(runs, testPath, state.runId) : null;
}

export function NotFound({ runId }: { runId: string }) {
  return (
    <section class="notice" data-tone="error" data-testid="not-found">
      <h1>Run not found</h1>
      <p>There is no run with id <code class="wrap">{runId}</code> on this server.</p>
      <p><Link href="/results">Browse results</Link> · <Link href="/launch">Launch a test</Link></p>
    </section>
  );
}

function RunTabs({ state }: { state: RunState }) {
  const [tab, setTab] = useState<Tab>(tabInUrl);
  const lines = useMemo(() => latest(state.output, OUTPUT_TAIL), [state.output]);
  const tabs: [Tab, string, number | null][] = [
    ["events", "Events", state.timeline.length + state.timeline.dropped],
    ["steps", "Steps", state.steps.length],
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
        {tab === "steps" && <StepsPanel steps={state.steps} measurements={entries(state.measurements)} />}
        {tab === "channels" && <ChannelsPanel channels={state.channels} />}
        {tab === "output" && <OutputTail runId={state.runId} lines={lines} />}
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
