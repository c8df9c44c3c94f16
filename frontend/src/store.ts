// Application state as signals. The socket feeds receive(); the fold (state.ts) computes the
// run view; signals are published at most once per animation frame, and while records stream
// in, at most every STREAM_REDRAW_MS (and not while the browser tab is hidden: no animation
// frame runs then, so a hidden page folds what arrives and redraws once shown). Views call the actions.
//
// A publish runs right after a frame has rendered, not inside one: the views re-render and the
// Events rows are written and laid out in the idle time before the next frame, which then only
// paints them. Done inside the frame, that work made the redraw frame the one that missed its
// 16.7 ms budget while a test printed fast; the cost is one frame of delay before a change shows.
import { computed, signal } from "@preact/signals";
import * as api from "./api";
import type { LaunchRequest } from "./api";
import type { ActiveRun, ClientMessage, Error as ErrorMessage, PromptAccepted, ServerMessage } from "./protocol";
import { describeResolution, waitingTotal, type PromptEntry } from "./prompts";
import { route } from "./route";
import { me } from "./session";
import { connect, socketUrl, type Connection, type ConnectionFailure } from "./socket";
import { apply, initial, isCaughtUp, type RunState } from "./state";
import { dropDraft } from "./drafts";
import { notify } from "./toasts";
import { outageBegan, outageEnded } from "./outage";

export { dismiss, dismissAll, notify, toasts, type Toast } from "./toasts";

/** Where this client's answer to a prompt stands: on its way, or refused with the server's reason. */
export interface AnswerFeedback {
  isSending: boolean;
  error: string;
}

/** The run the current page watches (live view or results detail), as of the last frame. */
export const run = signal<RunState | null>(null);
export const connectionFailure = signal<ConnectionFailure | null>(null);
/** Every live run, as the server's active-runs feed last described them. */
export const activeRuns = signal<ActiveRun[]>([]);
export const promptsWaiting = computed(() => waitingTotal(activeRuns.value));
/** By prompt id. */
export const answerFeedback = signal<Record<string, AnswerFeedback>>({});
export const history = signal<api.RunSummary[] | null>(null);
export const tests = signal<string[] | null>(null);


let current: RunState | null = null;
let socket: Connection | null = null;
let isFollowingActive = false;
let frame = 0;
let delay = 0;
let isPublishDue = false;
let publishedAt = 0;
/**
 * While a test prints fast every visible Events row shows a new record at each redraw, so a
 * redraw costs the same whatever the number of new records: layout of every row's text, paint,
 * raster and compositing, a few ms of the browser's CPU. At 1,000 lines/s, redrawing at most 4
 * times a second instead of 10 halved the page's layout time (about 22 -> 9 ms per s) and
 * still reads as live; the lines scroll by too fast to read either way. The first change after
 * a quiet spell is drawn at the next frame.
 */
const STREAM_REDRAW_MS = 250;
let nextRequest = 1;
/** Answers on their way, by request id. */
const answers = new Map<string, { runId: string; promptId: string }>();
/** Prompts this client's answer won: their resolution needs no "answered elsewhere" toast. */
const won = new Set<string>();

// -- the feed ----------------------------------------------------------------------------

export function receive(msg: ServerMessage): void {
  if (msg.type === "error" && msg.code === "store_unavailable" && !answers.has(msg.id ?? "")) outageBegan(msg.message);
  else if ("seq" in msg) outageEnded(); // only committed records are delivered
  if (msg.type === "active_runs") activeRuns.value = msg.runs;
  else if (msg.type === "prompt_accepted") onAccepted(msg);
  else if (msg.type === "error" && msg.id != null && answers.has(msg.id)) onAnswerRefused(msg);
  else foldIntoRun(msg);
}

function foldIntoRun(msg: ServerMessage): void {
  if (current === null) return;
  const before = current;
  current = apply(current, msg);
  if (current.prompts !== before.prompts) announceResolutions(before, current);
  if (current.complete !== before.complete) announceFailure(before, current);
  if (current.isNotFound && !before.isNotFound) publishNow();
  else schedulePublish();
}

function schedulePublish(): void {
  if (isPublishDue || delay !== 0) return;
  const wait = publishedAt + STREAM_REDRAW_MS - performance.now();
  if (wait <= 0) publishAfterFrame();
  else delay = window.setTimeout(() => { delay = 0; publishAfterFrame(); }, wait);
}

/** A message posted from an animation frame callback is handled first thing after that frame renders. */
const afterFrame = new MessageChannel();
afterFrame.port1.onmessage = () => { if (isPublishDue) publishNow(); };

function publishAfterFrame(): void {
  isPublishDue = true;
  frame = requestAnimationFrame(() => { frame = 0; afterFrame.port2.postMessage(null); });
}

function publishNow(): void {
  if (frame !== 0) cancelAnimationFrame(frame);
  window.clearTimeout(delay);
  frame = delay = 0;
  isPublishDue = false;
  publishedAt = performance.now();
  run.value = current;
}

/** A prompt the live page was showing closed without this client's answer: say who or what closed it. */
function announceResolutions(before: RunState, after: RunState): void {
  const wasOpen = new Set(before.prompts.filter((p) => p.resolution === null).map((p) => p.prompt.prompt_id));
  const closed = after.prompts.filter((p) => p.resolution !== null && wasOpen.has(p.prompt.prompt_id));
  closed.forEach((p) => dropDraft(p.prompt.prompt_id));
  if (!isCaughtUp(before) || route.value.page !== "live") return;
  for (const entry of closed) if (!won.has(entry.prompt.prompt_id)) notifyResolution(entry);
}

/** A live run that ends in ERROR says why, in the server's words (the runner's reason). */
function announceFailure(before: RunState, after: RunState): void {
  if (!isCaughtUp(before) || after.complete?.status !== "ERROR") return;
  notify("error", "Run ended in ERROR", after.complete.reason || `the test process exited with code ${after.complete.exit_code ?? "unknown"}`);
}

function notifyResolution({ prompt, resolution }: PromptEntry): void {
  if (resolution === null) return;
  if (resolution.resolution !== "answered") {
    notify("info", `Prompt ${resolution.resolution}`, describeResolution(prompt.name, resolution));
    return;
  }
  const value = typeof resolution.value === "string" ? resolution.value : resolution.value === true ? "confirmed" : String(resolution.value);
  notify("info", `Answered by ${resolution.who || "someone"} via ${resolution.via ?? "script"}: ${value}`, prompt.message);
}

function onAccepted(msg: PromptAccepted): void {
  answers.delete(msg.id);
  dropDraft(msg.prompt_id);
  won.add(msg.prompt_id);
}

function onAnswerRefused(msg: ErrorMessage): void {
  const pending = answers.get(msg.id!)!;
  answers.delete(msg.id!);
  setFeedback(pending.promptId, { isSending: false, error: msg.message });
}

function setFeedback(promptId: string, feedback: AnswerFeedback): void {
  answerFeedback.value = { ...answerFeedback.value, [promptId]: feedback };
}

function onFailure(failure: ConnectionFailure): void {
  socket = null;
  connectionFailure.value = failure;
  notify("error", failure.type, `${failure.message}. Refresh to reconnect.`);
  for (const { promptId } of answers.values()) {
    setFeedback(promptId, { isSending: false, error: NOT_SENT });
  }
  answers.clear();
}

const NOT_SENT = "Not sent: the connection to the server is lost, so it cannot take the answer. Refresh to reconnect.";

/** The one WebSocket of the app; a new one resumes the active-runs feed and the watched run. */
function ensureSocket(): Connection {
  if (socket?.isOpen) return socket;
  connectionFailure.value = null;
  socket = connect(socketUrl(location), {
    onMessages: (messages) => messages.forEach(receive),
    onFailure,
  });
  if (isFollowingActive) socket.send({ type: "subscribe_active" });
  if (current) socket.send(subscription(current));
  return socket;
}

function subscription(state: RunState): ClientMessage {
  const resume = { type: "subscribe", run_id: state.runId, since_seq: state.lastSeq } as const;
  return state.epoch ? { ...resume, epoch: state.epoch } : resume;
}

// -- actions -----------------------------------------------------------------------------

/** Shows a run: rebuilds its whole state from seq 0 (a refresh starts from scratch too). */
export function watch(runId: string): void {
  if (current?.runId === runId) return;
  unwatch();
  current = initial(runId);
  publishNow();
  if (socket?.isOpen) socket.send(subscription(current));
  else ensureSocket();
}

export function unwatch(): void {
  if (current && socket?.isOpen) socket.send({ type: "unsubscribe", run_id: current.runId });
  current = null;
  publishNow();
}

export async function launch(request: LaunchRequest): Promise<string | null> {
  try {
    const launched = await api.launchRun(request);
    return launched.run_id;
  } catch (err) {
    notifyFailure("Launch refused", err);
    return null;
  }
}

export async function abort(runId: string): Promise<void> {
  try {
    await api.abortRun(runId);
  } catch (err) {
    notifyFailure("Abort failed", err);
  }
}

export async function loadTests(): Promise<void> {
  try {
    tests.value = (await api.listTests()).tests;
  } catch (err) {
    tests.value = [];
    notifyFailure("Could not list tests", err);
  }
}

export async function loadHistory(): Promise<void> {
  try {
    history.value = await api.listRuns();
  } catch (err) {
    history.value = [];
    notifyFailure("Could not load results", err);
  }
}

/** Follows the server's active-runs feed (pushed snapshots) for the sidebar and the tab title. */
export function followActiveRuns(): void {
  isFollowingActive = true;
  if (socket?.isOpen) socket.send({ type: "subscribe_active" });
  else ensureSocket();
}

/** Answers an open prompt; the server records the signed-in person as who answered, via "ui". */
export function answer(runId: string, promptId: string, value: boolean | string): void {
  if (!socket?.isOpen) return setFeedback(promptId, { isSending: false, error: NOT_SENT }); // never a silent reconnect
  const id = `ui-${Date.now().toString(36)}-${nextRequest++}`;
  answers.set(id, { runId, promptId });
  setFeedback(promptId, { isSending: true, error: "" });
  socket.send({ type: "prompt_response", id, run_id: runId, prompt_id: promptId, value, via: "ui" });
}

/** The name answers are recorded under: the signed-in person's (the server takes it from the session). */
export function operatorFor(_runId: string): string {
  return me.value?.name ?? "";
}

function notifyFailure(title: string, err: unknown): void {
  if (!(err instanceof Error)) throw err;
  const kind = err instanceof api.ApiError ? err.code : err.name;
  notify("error", `${title} (${kind})`, err.message);
}
