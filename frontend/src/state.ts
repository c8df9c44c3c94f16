// The view of one run, as a pure fold over the server messages of protocol v1.
// store.ts feeds it one message at a time; views read the result. No I/O here.
import type {
  AbortRequested,
  Channels,
  Collected,
  Complete,
  Error as ErrorMessage,
  Event,
  Measurement,
  Outcome,
  Output,
  Progress,
  Prompt,
  ReportError,
  RunCreated,
  ServerMessage,
  Status,
  StepFinished,
  Stream,
  Subscribed,
} from "./protocol";
import { applyChannels, type ChannelList } from "./channels";
import { ask, resolve, type PromptEntry } from "./prompts";

export type EventData = Event["data"];
/** A row of the Events tab: the log record itself, kept as received (no copy). */
export type TimelineEntry = Event | Prompt | Complete;
type LogRecord = Event | Progress | Prompt | Complete;

export const OUTPUT_TAIL = 100;
/** Older timeline entries are dropped past this many; the full log stays on the server. */
export const TIMELINE_CAP = 200_000;
/** Older measurements are dropped past this many (the log keeps them all). */
export const MEASUREMENT_CAP = 10_000;

export interface OutputLine {
  seq: number;
  stream: Stream;
  line: string;
}

/**
 * "interrupted": the run ended (aborted, crashed) while the step was running; "not_run": it
 * ended before the step started. Neither counts as done.
 */
export type StepOutcome = Outcome | "pending" | "running" | "interrupted" | "not_run";

export interface Step {
  nodeid: string;
  outcome: StepOutcome;
  /** Seconds, as step_finished reports it; for an interrupted step, from its start to the run's end. */
  duration: number | null;
  reason: string;
  /** ts of its step_started record. */
  startedAt: string | null;
}

export interface Counts {
  total: number;
  done: number;
  passed: number;
  failed: number;
  skipped: number;
  errors: number;
}

/**
 * Append-only, shared between successive states: a state sees `items[0..length)`, and the oldest
 * items are dropped in blocks past a cap, so an append costs O(1) amortised, never a copy.
 */
export interface Kept<T> {
  items: T[];
  length: number;
  dropped: number;
}

export type Timeline = Kept<TimelineEntry>;

export interface RunState {
  runId: string;
  meta: (RunCreated & { created_at: string }) | null;
  /** null until the server has said anything about the run ("Starting..."). */
  status: Status | null;
  counts: Counts;
  currentStep: string | null;
  steps: Step[];
  timeline: Timeline;
  /** The last lines printed (at least OUTPUT_TAIL of them once there are that many): read them with latest(). */
  output: Kept<OutputLine>;
  /** Every prompt of the run in the order asked, open or resolved. */
  prompts: PromptEntry[];
  /** What `verify` checked, in log order (at least the last MEASUREMENT_CAP): read them with entries(). */
  measurements: Kept<Measurement>;
  /** Live instrument channels: not in the log, replaced by snapshots, extended by updates. */
  channels: ChannelList;
  /** Records count only after `subscribed`: earlier ones belong to a previous subscription. */
  isSubscribed: boolean;
  /** The history of the run the records are of (`subscribed`), sent back on a resume. */
  epoch: string;
  lastSeq: number;
  headSeq: number;
  complete: Complete | null;
  error: { code: string; message: string } | null;
  isNotFound: boolean;
}

export function initial(runId: string): RunState {
  return {
    runId,
    meta: null,
    status: null,
    counts: { total: 0, done: 0, passed: 0, failed: 0, skipped: 0, errors: 0 },
    currentStep: null,
    steps: [],
    timeline: none(),
    output: none(),
    prompts: [],
    measurements: none(),
    channels: [],
    isSubscribed: false,
    epoch: "",
    lastSeq: 0,
    headSeq: 0,
    complete: null,
    error: null,
    isNotFound: false,
  };
}

export function isFinal(status: Status | null): boolean {
  return status !== null && status !== "STARTING" && status !== "RUNNING";
}

/** True once the client holds every record the server had when it subscribed: what follows is live. */
export function isCaughtUp(state: RunState): boolean {
  return state.isSubscribed && state.lastSeq >= state.headSeq;
}

/** Compile-time exhaustiveness; at run time a newer server's message is ignored (additive versions). */
function assertNever(_unknown: never): void {}

export function apply(state: RunState, msg: ServerMessage): RunState {
  if (isRecord(msg)) return isNext(state, msg) ? onRecord(state, msg) : state;
  if (isNotThisRunsView(msg)) return state;
  switch (msg.type) {
    case "subscribed":
      return msg.run_id === state.runId ? onSubscribed(state, msg) : state;
    case "channels":
      return isOurs(state, msg) ? { ...state, channels: applyChannels(state.channels, msg) } : state;
    case "error":
      return onError(state, msg);
    default:
      assertNever(msg);
      return state;
  }
}

const RECORD_TYPES: ReadonlySet<string> = new Set<LogRecord["type"]>(["event", "progress", "prompt", "complete"]);

/** Messages that change nothing in one run's view: replies and the feeds are the store's business. */
type NotThisRunsView = Extract<
  ServerMessage,
  { type: "welcome" | "unsubscribed" | "prompt_accepted" | "active_runs" | "run_finished" }
>;
const NOT_THIS_RUNS_VIEW: ReadonlySet<string> = new Set<NotThisRunsView["type"]>([
  "welcome",
  "unsubscribed",
  "prompt_accepted",
  "active_runs",
  "run_finished",
]);

function isNotThisRunsView(msg: ServerMessage): msg is NotThisRunsView {
  return NOT_THIS_RUNS_VIEW.has(msg.type);
}

function isRecord(msg: ServerMessage): msg is LogRecord {
  return RECORD_TYPES.has(msg.type);
}

function isNext(state: RunState, record: LogRecord): boolean {
  return state.isSubscribed && record.run_id === state.runId && (record.seq ?? 0) > state.lastSeq;
}

/** Channels, like records, count only after `subscribed`: a snapshot follows it. */
function isOurs(state: RunState, msg: Channels): boolean {
  return state.isSubscribed && msg.run_id === state.runId;
}

/** A resync says the records held are of a history the store lost: the run is folded anew from seq 1. */
function onSubscribed(held: RunState, msg: Subscribed): RunState {
  const state = msg.resync ? initial(held.runId) : held;
  const status = state.status ?? (msg.head_seq > 0 ? msg.status : null);
  const headSeq = Math.max(state.headSeq, msg.head_seq);
  return { ...state, status, isSubscribed: true, epoch: msg.epoch ?? "", headSeq, error: null };
}

function onError(state: RunState, msg: ErrorMessage): RunState {
  if (msg.run_id != null && msg.run_id !== state.runId) return state;
  const error = { code: msg.code, message: msg.message };
  return { ...state, error, isNotFound: state.isNotFound || msg.code === "run_not_found" };
}

function onRecord(state: RunState, record: LogRecord): RunState {
  const seq = record.seq ?? 0;
  const next = { ...state, lastSeq: seq, headSeq: Math.max(state.headSeq, seq) };
  switch (record.type) {
    case "event":
      return onEvent({ ...next, timeline: append(next.timeline, record) }, record);
    case "progress":
      return onProgress(next, record);
    case "prompt":
      return { ...next, timeline: append(next.timeline, record), prompts: ask(next.prompts, record) };
    case "complete":
      return onComplete({ ...next, timeline: append(next.timeline, record) }, record);
    default:
      assertNever(record);
      return state;
  }
}

function onEvent(state: RunState, event: Event): RunState {
  const data = event.data;
  switch (data.kind) {
    case "run_created":
      return { ...state, meta: { ...data, created_at: event.ts }, status: state.status ?? "STARTING" };
    case "collected":
      return onCollected(state, data);
    case "step_started":
      return { ...state, currentStep: data.nodeid, steps: upsert(state.steps, data.nodeid, (s) => startedStep(s, event.ts)) };
    case "step_finished":
      return onStepFinished(state, data);
    case "prompt_resolved":
      return { ...state, prompts: resolve(state.prompts, data, event.ts) };
    case "measurement":
      return { ...state, measurements: append(state.measurements, data, MEASUREMENT_CAP) };
    default:
      return onOutputEvent(state, event.seq ?? 0, data);
  }
}

/** Events shown as lines of the output: what the test printed, and the server's notices
 * (a report it refused, an abort) where a viewer looks for trouble. */
function onOutputEvent(state: RunState, seq: number, data: Output | ReportError | AbortRequested): RunState {
  const line = (stream: Stream, text: string) => ({ ...state, output: append(state.output, { seq, stream, line: text }, OUTPUT_TAIL) });
  switch (data.kind) {
    case "output":
      return line(data.stream, data.line);
    case "report_error":
      return line("stderr", `[litmus-live] ${data.reason}`);
    case "abort_requested":
      return line("stderr", `[litmus-live] ${data.who} aborted the run`);
    default:
      assertNever(data);
      return state;
  }
}

function onCollected(state: RunState, data: Collected): RunState {
  const known = new Set(state.steps.map((s) => s.nodeid));
  const added = data.nodeids.filter((id) => !known.has(id)).map(pendingStep);
  const total = Math.max(state.counts.total, data.count);
  return { ...state, steps: [...state.steps, ...added], counts: { ...state.counts, total } };
}

function onStepFinished(state: RunState, data: StepFinished): RunState {
  const finish = (s: Step | undefined): Step =>
    ({ nodeid: data.nodeid, outcome: data.outcome, duration: data.duration, reason: data.reason ?? "", startedAt: s?.startedAt ?? null });
  const currentStep = state.currentStep === data.nodeid ? null : state.currentStep;
  return { ...state, currentStep, steps: upsert(state.steps, data.nodeid, finish) };
}

function onProgress(state: RunState, p: Progress): RunState {
  const counts: Counts = {
    total: p.total,
    done: p.done,
    passed: p.passed ?? 0,
    failed: p.failed ?? 0,
    skipped: p.skipped ?? 0,
    errors: p.errors ?? 0,
  };
  const status = isFinal(state.status) ? state.status : p.status;
  return { ...state, status, counts, currentStep: p.current_step ?? null };
}

/** The counts stay as the last progress record gave them: a run cut short shows what it finished. */
function onComplete(state: RunState, c: Complete): RunState {
  const steps = state.steps.map((s) => (isOpen(s) ? closedStep(s, c) : s));
  return { ...state, status: c.status, complete: c, steps, currentStep: null };
}

function closedStep(step: Step, c: Complete): Step {
  if (step.outcome === "pending") return { ...step, outcome: "not_run" };
  const ran = step.startedAt ? (Date.parse(c.ts) - Date.parse(step.startedAt)) / 1000 : null;
  return { ...step, outcome: "interrupted", duration: ran, reason: c.reason || `the run ended ${c.status}` };
}

function isOpen(step: Step): boolean {
  return step.outcome === "pending" || step.outcome === "running";
}

function pendingStep(nodeid: string): Step {
  return { nodeid, outcome: "pending", duration: null, reason: "", startedAt: null };
}

function startedStep(previous: Step | undefined, ts: string): Step {
  return { ...(previous ?? pendingStep("")), outcome: "running", startedAt: ts };
}

function upsert(steps: Step[], nodeid: string, make: (previous: Step | undefined) => Step): Step[] {
  const index = steps.findIndex((s) => s.nodeid === nodeid);
  const step = { ...make(steps[index]), nodeid };
  if (index < 0) return [...steps, step];
  const copy = steps.slice();
  copy[index] = step;
  return copy;
}

function none<T>(): Kept<T> {
  return { items: [], length: 0, dropped: 0 };
}

/**
 * O(1) amortised append that leaves every earlier state's view intact (it reads only `length`):
 * between `cap` and 1.25 `cap` items are kept.
 */
export function append<T>(kept: Kept<T>, entry: T, cap = TIMELINE_CAP): Kept<T> {
  let { items, dropped } = kept;
  if (items.length !== kept.length) items = items.slice(0, kept.length);
  if (items.length >= cap + (cap >> 2)) {
    const drop = items.length - cap + 1;
    items = items.slice(drop);
    dropped += drop;
  }
  items.push(entry);
  return { items, length: items.length, dropped };
}

export function entries<T>(kept: Kept<T>): T[] {
  return kept.items.length === kept.length ? kept.items : kept.items.slice(0, kept.length);
}

/** The last `count` items (fewer when fewer are kept). */
export function latest<T>(kept: Kept<T>, count: number): T[] {
  return kept.items.slice(Math.max(0, kept.length - count), kept.length);
}
