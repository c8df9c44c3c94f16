// Application state as signals. The socket feeds receive(); the fold (state.ts) computes the
// run view; signals are published at most once per animation frame. Views call the actions.
import { effect, signal } from "@preact/signals";
import * as api from "./api";
import type { LaunchRequest, RunSummary } from "./api";
import type { ServerMessage } from "./protocol";
import { route } from "./route";
import { connect, socketUrl, type Connection, type ConnectionFailure } from "./socket";
import { apply, initial, type RunState } from "./state";

export interface Toast {
  id: number;
  tone: "error" | "info";
  title: string;
  message: string;
}

/** The run the current page watches (live view or results detail), as of the last frame. */
export const run = signal<RunState | null>(null);
export const connectionFailure = signal<ConnectionFailure | null>(null);
export const toasts = signal<Toast[]>([]);
export const activeRuns = signal<RunSummary[]>([]);
export const history = signal<RunSummary[] | null>(null);
export const tests = signal<string[] | null>(null);

let current: RunState | null = null;
let socket: Connection | null = null;
let frame = 0;
let nextToastId = 1;

// -- the feed ----------------------------------------------------------------------------

export function receive(msg: ServerMessage): void {
  if (current === null) return;
  const before = current;
  current = apply(current, msg);
  if (current.status !== before.status) refreshActiveRuns();
  if (current.isNotFound && !before.isNotFound) publishNow();
  else schedulePublish();
}

function schedulePublish(): void {
  if (frame !== 0) return;
  frame = requestAnimationFrame(publishNow);
}

function publishNow(): void {
  if (frame !== 0) cancelAnimationFrame(frame);
  frame = 0;
  run.value = current;
}

function onFailure(failure: ConnectionFailure): void {
  socket = null;
  connectionFailure.value = failure;
  notify("error", failure.type, failure.message);
}

function ensureSocket(): Connection {
  if (socket?.isOpen) return socket;
  connectionFailure.value = null;
  socket = connect(socketUrl(location), {
    onMessages: (messages) => messages.forEach(receive),
    onFailure,
  });
  return socket;
}

// -- actions -----------------------------------------------------------------------------

/** Shows a run: rebuilds its whole state from seq 0 (a refresh starts from scratch too). */
export function watch(runId: string): void {
  if (current?.runId === runId) return;
  unwatch();
  current = initial(runId);
  publishNow();
  ensureSocket().send({ type: "subscribe", run_id: runId, since_seq: 0 });
}

export function unwatch(): void {
  if (current && socket?.isOpen) socket.send({ type: "unsubscribe", run_id: current.runId });
  current = null;
  publishNow();
}

export async function launch(request: LaunchRequest): Promise<string | null> {
  try {
    const launched = await api.launchRun(request);
    refreshActiveRuns();
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

/**
 * Keeps activeRuns current. For now it re-reads GET /api/runs when something changes (the
 * page, the watched run's status, a launch); once the server pushes `active_runs`, this
 * subscribes instead and nothing else changes.
 */
export function followActiveRuns(): void {
  effect(() => {
    void route.value;
    refreshActiveRuns();
  });
}

let isRefreshing = false;
let isStale = false;
function refreshActiveRuns(): void {
  if (isRefreshing) {
    isStale = true; // one more read once this one lands, so no change is missed
    return;
  }
  isRefreshing = true;
  api
    .listRuns()
    .then((runs) => (activeRuns.value = runs.filter((r) => r.is_live)))
    .catch(() => undefined) // the sidebar keeps what it had; pages report their own failures
    .finally(() => {
      isRefreshing = false;
      if (isStale) {
        isStale = false;
        refreshActiveRuns();
      }
    });
}

export function notify(tone: Toast["tone"], title: string, message: string): void {
  toasts.value = [...toasts.value, { id: nextToastId++, tone, title, message }];
}

export function dismiss(id: number): void {
  toasts.value = toasts.value.filter((t) => t.id !== id);
}

function notifyFailure(title: string, err: unknown): void {
  if (!(err instanceof Error)) throw err;
  const kind = err instanceof api.ApiError ? err.code : err.name;
  notify("error", `${title} (${kind})`, err.message);
}
