// /results/<run_id>: the verdict, who/where/when, and a per-step table, all folded from the log.
import { useEffect } from "preact/hooks";
import { outputUrl } from "../api";
import { run, unwatch, watch } from "../store";
import { entries, type RunState, type Step } from "../state";
import { ChannelsTable } from "./ChannelsTable";
import { CopyButton } from "./CopyButton";
import { dateTime, duration, outcomeLabel, statusTone, stepName } from "./format";
import { runDuration } from "./RunClock";
import { Link } from "./Link";
import { NotFound } from "./LivePage";
import { MeasurementsTable } from "./MeasurementsTable";
import { PromptsTable } from "./PromptsTable";
import { StatusPill } from "./StatusPill";

export function ResultDetailPage({ runId }: { runId: string }) {
  useEffect(() => {
    watch(runId);
    return unwatch;
  }, [runId]);
  const state = run.value;
  if (!state || state.runId !== runId) return null;
  if (state.isNotFound) return <NotFound runId={runId} />;
  return (
    <section class="result">
      <Summary state={state} />
      <StepsTable steps={state.steps} />
      <MeasurementsTable measurements={entries(state.measurements)} />
      <ChannelsTable runId={state.runId} channels={state.channels} />
      <PromptsTable prompts={state.prompts} />
    </section>
  );
}

function Summary({ state }: { state: RunState }) {
  return (
    <header class="card summary" data-status={statusTone(state.status)}>
      <div class="summary-head">
        <StatusPill status={state.status} />
        <h1>{state.meta?.test_path ?? "Run"}</h1>
        <div class="summary-links">
          {!state.complete && <Link href={`/live/${encodeURIComponent(state.runId)}`} class="button">Watch live</Link>}
          <a class="button" href={outputUrl(state.runId)} target="_blank" rel="noopener">Full output log</a>
          <a class="button" href={outputUrl(state.runId)} download={`${state.runId}.log`}>Download</a>
        </div>
      </div>
      <Facts state={state} />
      <Verdict state={state} />
      <div class="run-id"><span class="label">Run</span> <code>{state.runId}</code> <CopyButton text={state.runId} /></div>
    </header>
  );
}

const UNKNOWN = { uut_serial: "", operator: "", station: "", created_at: "" };

function Facts({ state }: { state: RunState }) {
  const m = { ...UNKNOWN, ...state.meta };
  const c = state.counts;
  const or = (value: string | undefined) => value || "—";
  return (
    <dl class="facts wide">
      <div><dt>UUT Serial</dt><dd data-testid="serial">{or(m.uut_serial)}</dd></div>
      <div><dt>Operator</dt><dd>{or(m.operator)}</dd></div>
      <div><dt>Station</dt><dd>{or(m.station)}</dd></div>
      <div><dt>Started</dt><dd>{dateTime(m.created_at)}</dd></div>
      <div><dt>Duration</dt><dd>{state.complete ? duration(runDuration(m.created_at, state.complete)) : "running"}</dd></div>
      <div><dt>Steps</dt><dd>{c.done}/{c.total}</dd></div>
      <div><dt>Passed</dt><dd data-outcome={c.passed ? "passed" : undefined}>{c.passed}</dd></div>
      <div><dt>Failed</dt><dd data-outcome={c.failed ? "failed" : undefined}>{c.failed}</dd></div>
      <div><dt>Errors</dt><dd data-outcome={c.errors ? "error" : undefined}>{c.errors}</dd></div>
      <div><dt>Skipped</dt><dd>{c.skipped}</dd></div>
    </dl>
  );
}

function Verdict({ state }: { state: RunState }) {
  const c = state.complete;
  if (!c?.reason) return null;
  return <p class="verdict-reason">{c.reason}{c.exit_code !== null && ` · exit code ${c.exit_code}`}</p>;
}

function StepsTable({ steps }: { steps: Step[] }) {
  return (
    <div class="card table-card">
      <table class="table steps" data-testid="steps">
        <thead>
          <tr><th class="num">#</th><th>Step</th><th>Outcome</th><th class="num">Duration</th></tr>
        </thead>
        <tbody>
          {steps.length === 0 && <tr><td colSpan={4} class="empty">No steps recorded</td></tr>}
          {steps.map((s, i) => (
            <tr key={s.nodeid} data-outcome={s.outcome}>
              <td class="num subtle">{i + 1}</td>
              <td class="mono" title={s.nodeid}>{stepName(s.nodeid)}{s.reason && <div class="reason">{s.reason}</div>}</td>
              <td><span class="outcome" data-outcome={s.outcome}>{outcomeLabel(s.outcome)}</span></td>
              <td class="num">{duration(s.duration)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
