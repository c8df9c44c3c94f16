// HTTP calls to the backend (launch, history, abort, test list; people.ts the admin's). Bodies are generated
// from protocol/schema.json like the WebSocket messages (PROTOCOL.md §9).
import type { LaunchBody, Launched as LaunchedBody, RunView, TestList } from "./protocol";

/** The server encodes every field, defaults included, so a run summary has them all. */
export type RunSummary = Required<RunView>;
export type LaunchRequest = LaunchBody;
export type Launched = LaunchedBody;

/** A refusal or failure of an HTTP call, with the server's error code when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: { accept: "application/json" } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { ...init.headers, "content-type": "application/json" };
  }
  const response = await fetch(path, init);
  const text = await response.text();
  const payload: unknown = text ? JSON.parse(text) : null;
  if (!response.ok) throw refusal(method, path, response.status, payload);
  return payload as T;
}

function refusal(method: string, path: string, status: number, payload: unknown): ApiError {
  const error = (payload as { error?: { code?: string; message?: string } } | null)?.error;
  return new ApiError(error?.code ?? `http_${status}`, error?.message ?? `${method} ${path} answered HTTP ${status}`);
}

export const listTests = () => call<TestList>("GET", "/api/tests");
export const listRuns = () => call<RunSummary[]>("GET", "/api/runs");
export const launchRun = (request: LaunchRequest) => call<Launched>("POST", "/api/runs", request);
export const abortRun = (runId: string) => call<unknown>("POST", `/api/runs/${encodeURIComponent(runId)}/abort`);
export const outputUrl = (runId: string) => `/api/runs/${encodeURIComponent(runId)}/output`;
/** Every reading of one channel, as `t,value` lines (PROTOCOL.md §9). */
export const samplesUrl = (runId: string, channel: string) =>
  `/api/runs/${encodeURIComponent(runId)}/channels/${encodeURIComponent(channel)}/samples.csv`;
