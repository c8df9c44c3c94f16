// The fold replays every golden transcript of protocol/examples (and our own fixtures) and
// must end in the state the transcript's records describe.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { CHANNEL_POINTS } from "./channels";
import type { Channels, ChannelState, Complete, Event, Progress, Prompt, ServerMessage } from "./protocol";
import { openPrompts } from "./prompts";
import { parseFrame } from "./socket";
import { append, apply, entries, initial, latest, OUTPUT_TAIL, type Kept, type RunState } from "./state";

const EXAMPLES = resolve(__dirname, "../../protocol/examples");
const FIXTURES = resolve(__dirname, "__fixtures__");
const RUN = "<run_id>";

/** A transcript line (protocol/examples/README.md): launch, send, send_raw, recv, close or expect. */
interface Line {
  send?: { run_id?: string };
  recv?: ServerMessage;
  expect?: Expectation;
}

interface Expectation {
  status?: string;
  total?: number;
  done?: number;
  uut_serial?: string;
  steps?: Record<string, string>;
  open_prompts?: number;
  error?: string;
}

function transcripts(): string[] {
  const from = (dir: string) =>
    existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".jsonl")).map((f) => join(dir, f)) : [];
  return [...from(EXAMPLES), ...from(FIXTURES)];
}

function read(path: string): Line[] {
  return readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Line);
}

/** The server messages of a transcript, each as a raw frame through the socket's parser. */
function serverMessages(lines: Line[]): ServerMessage[] {
  return lines.flatMap((l) => (l.recv ? parseFrame(JSON.stringify(l.recv)) : []));
}

function runIdOf(lines: Line[]): string {
  return lines.find((l) => l.send?.run_id)?.send?.run_id ?? RUN;
}

const fold = (runId: string, messages: ServerMessage[]): RunState => messages.reduce(apply, initial(runId));
/** A state past `subscribed`, as after the server accepted a subscription from seq 0. */
const subscribed = (runId: string): RunState =>
  apply(initial(runId), { type: "subscribed", run_id: runId, since_seq: 0, head_seq: 0, status: "RUNNING" });

describe.each(transcripts())("transcript %s", (path) => {
  const lines = read(path);
  const messages = serverMessages(lines);
  const runId = runIdOf(lines);
  const expectation = lines.find((l) => l.expect)?.expect ?? {};
  const records = messages.filter(
    (m): m is Event | Progress | Prompt | Complete =>
      (m.type === "event" || m.type === "progress" || m.type === "prompt" || m.type === "complete") && m.run_id === runId,
  );
  const state = fold(runId, messages);

  it("ends as the transcript's expect line says", () => {
    const { status, total, done, uut_serial, steps, open_prompts, error } = expectation;
    if (status !== undefined) expect(state.status).toBe(status);
    if (total !== undefined) expect(state.counts.total).toBe(total);
    if (done !== undefined) expect(state.counts.done).toBe(done);
    if (uut_serial !== undefined) expect(state.meta?.uut_serial).toBe(uut_serial);
    if (steps !== undefined) expect(Object.fromEntries(state.steps.map((s) => [s.nodeid, s.outcome]))).toEqual(steps);
    if (open_prompts !== undefined) expect(openPrompts(state.prompts)).toHaveLength(open_prompts);
    if (error !== undefined) expect(state.error?.code).toBe(error);
    if (error === "run_not_found") expect(state.isNotFound).toBe(true);
  });

  it("holds the last seq and every event, prompt and completion in order", () => {
    const expected = records.filter((r) => r.type !== "progress");
    expect(state.lastSeq).toBe(records.at(-1)?.seq ?? 0);
    expect(entries(state.timeline).map((e) => e.seq)).toEqual(expected.map((e) => e.seq));
  });

  it("ends with the status and counts the records carry", () => {
    const lastProgress = records.filter((r): r is Progress => r.type === "progress").at(-1);
    const complete = records.find((r): r is Complete => r.type === "complete");
    if (complete) expect(state.status).toBe(complete.status);
    if (lastProgress) expect(state.counts.passed).toBe(lastProgress.passed ?? 0);
    if (lastProgress) expect(state.counts.done).toBe(lastProgress.done);
  });

  it("keeps the last output lines with their stream", () => {
    const output = records.filter((r): r is Event => r.type === "event" && r.data.kind === "output");
    const lines = output.slice(-OUTPUT_TAIL).map((e) => (e.data.kind === "output" ? `${e.data.stream}:${e.data.line}` : ""));
    expect(latest(state.output, OUTPUT_TAIL).map((o) => `${o.stream}:${o.line}`)).toEqual(lines);
  });

  it("is unchanged when the same records are replayed again (resume overlap)", () => {
    expect(records.reduce(apply, state)).toEqual(state);
  });

  it("closes every prompt its resolution names", () => {
    const resolved = records.filter((r) => r.type === "event" && r.data.kind === "prompt_resolved").length;
    expect(state.prompts.filter((p) => p.resolution !== null)).toHaveLength(resolved);
  });

  it("reaches the same state when resumed from any seq", () => {
    const middle = Math.floor(records.length / 2);
    const resumed = records.slice(middle - 3).reduce(apply, records.slice(0, middle).reduce(apply, subscribed(runId)));
    expect(resumed.lastSeq).toBe(state.lastSeq);
    expect(resumed.steps).toEqual(state.steps);
    expect(resumed.status).toBe(state.status);
    expect(resumed.prompts).toEqual(state.prompts);
    expect(entries(resumed.measurements)).toEqual(entries(state.measurements));
  });

  it("keeps every measurement in log order", () => {
    const measured = records.flatMap((r) => (r.type === "event" && r.data.kind === "measurement" ? [r.data] : []));
    expect(entries(state.measurements)).toEqual(measured);
  });

  it("holds each channel as a late viewer's snapshot of the same run would", () => {
    const late = apply(subscribed(runId), snapshotOf(messages.filter((m): m is Channels => m.type === "channels")));
    expect(state.channels).toEqual(late.channels);
  });

  it("holds the limits each channel's last state declares (null where none)", () => {
    const last = new Map(messages.filter((m): m is Channels => m.type === "channels").flatMap((m) => m.channels).map((c) => [c.name, c]));
    expect(state.channels.map((c) => [c.name, c.low, c.high])).toEqual([...last.values()].map((c) => [c.name, c.low ?? null, c.high ?? null]));
  });
});

/** What the server would send a viewer attached at the end: each channel's last totals and all its points (at most 300). */
function snapshotOf(updates: Channels[]): Channels {
  const byName = new Map<string, ChannelState>();
  for (const c of updates.flatMap((u) => u.channels)) {
    const points = [...(byName.get(c.name)?.points ?? []), ...c.points].slice(-CHANNEL_POINTS);
    byName.set(c.name, { ...c, points });
  }
  return { type: "channels", run_id: updates[0]?.run_id ?? RUN, is_snapshot: true, channels: [...byName.values()] };
}

describe("the failed run fixture", () => {
  const lines = read(join(FIXTURES, "failed_run.jsonl"));
  const state = fold(runIdOf(lines), serverMessages(lines));

  it("records each step's outcome, duration and failure reason", () => {
    expect(state.steps.map((s) => [s.nodeid.split("::")[1], s.outcome])).toEqual([
      ["test_uart_loopback", "passed"],
      ["test_can_bus_ack", "failed"],
    ]);
    expect(state.steps[1]?.reason).toContain("CAN frame 0x1A3");
    expect(state.steps[0]?.duration).toBeGreaterThan(0);
  });

  it("keeps run meta and the completion", () => {
    expect(state.meta?.uut_serial).toBe("SN1");
    expect(state.complete?.exit_code).toBe(1);
    expect(state.currentStep).toBeNull();
  });

  it("tags stderr lines", () => {
    expect(entries(state.output).some((o) => o.stream === "stderr" && o.line.includes("0x1A3"))).toBe(true);
  });
});

describe("apply", () => {
  const ts = "2026-01-01T00:00:00Z";
  const output = (seq: number, line: string): Event => ({
    type: "event", run_id: "r1", seq, ts, data: { kind: "output", stream: "stdout", line },
  });

  it("reads Starting until the server says anything", () => {
    const subscribed = apply(initial("r1"), { type: "subscribed", run_id: "r1", since_seq: 0, head_seq: 0, status: "STARTING" });
    expect(subscribed.status).toBeNull();
  });

  it("marks an unknown run as not found", () => {
    const state = apply(initial("r9"), { type: "error", code: "run_not_found", message: "no run r9", run_id: "r9" });
    expect(state.isNotFound).toBe(true);
    expect(state.error?.message).toBe("no run r9");
  });

  it("keeps the epoch it subscribed in, and on a resync drops what it held and folds the run anew", () => {
    const told = (epoch: string, resync: boolean): ServerMessage =>
      ({ type: "subscribed", run_id: "r1", since_seq: 0, head_seq: 2, status: "RUNNING", epoch, resync });
    const held = [output(1, "a"), output(2, "b")].reduce(apply, apply(initial("r1"), told("e1", false)));
    expect([held.epoch, held.lastSeq]).toEqual(["e1", 2]);
    const anew = [output(1, "a"), output(3, "c")].reduce(apply, apply(held, told("e2", true)));
    expect([anew.epoch, anew.lastSeq, anew.timeline.length]).toEqual(["e2", 3, 2]);
    expect(latest(anew.output, OUTPUT_TAIL).map((o) => o.line)).toEqual(["a", "c"]);
  });

  it("ignores records that arrive before the subscription is confirmed", () => {
    expect(apply(initial("r1"), output(7, "late, from an earlier subscription")).lastSeq).toBe(0);
  });

  it("ignores records of other runs and message types it does not know", () => {
    const before = subscribed("r1");
    const unknown = { type: "gauges", run_id: "r1", seq: 5 } as unknown as ServerMessage;
    const strangeKind = { ...output(1, "x"), data: { kind: "calibration", value: 1 } } as unknown as ServerMessage;
    expect(apply(before, unknown)).toBe(before);
    expect(apply(before, { ...output(1, "x"), run_id: "other" })).toBe(before);
    expect(apply(before, strangeKind).lastSeq).toBe(1);
  });

  it("keeps only the last output lines", () => {
    let state = subscribed("r1");
    for (let seq = 1; seq <= 250; seq++) state = apply(state, output(seq, `line ${seq}`));
    const kept = entries(state.output);
    expect(kept.length).toBeGreaterThanOrEqual(OUTPUT_TAIL);
    expect(kept.length).toBeLessThanOrEqual(OUTPUT_TAIL * 1.25);
    expect(kept.at(-1)?.line).toBe("line 250");
    expect(latest(state.output, OUTPUT_TAIL).map((l) => l.line)[0]).toBe("line 151");
    expect(state.timeline.length).toBe(250);
  });

  it("leaves earlier states intact when it appends", () => {
    const one = apply(subscribed("r1"), output(1, "a"));
    const two = apply(one, output(2, "b"));
    const branch = apply(one, output(2, "c"));
    expect(entries(one.timeline)).toHaveLength(1);
    expect(entries(two.timeline).map((e) => e.seq)).toEqual([1, 2]);
    expect(entries(branch.timeline).map((e) => (e.type === "event" && e.data.kind === "output" ? e.data.line : "")))
      .toEqual(["a", "c"]);
  });

  it("keeps the finished count of a run cut short, and marks its running step interrupted and the rest not run", () => {
    const at = (s: number) => `2026-01-01T00:00:${String(s).padStart(2, "0")}Z`;
    const records: ServerMessage[] = [
      { type: "event", run_id: "r1", seq: 1, ts: at(0), data: { kind: "collected", count: 3, nodeids: ["t::a", "t::b", "t::c"] } },
      { type: "event", run_id: "r1", seq: 2, ts: at(1), data: { kind: "step_started", nodeid: "t::a" } },
      { type: "event", run_id: "r1", seq: 3, ts: at(2), data: { kind: "step_finished", nodeid: "t::a", outcome: "passed", duration: 0.9 } },
      { type: "progress", run_id: "r1", seq: 4, ts: at(2), status: "RUNNING", total: 3, done: 1, passed: 1 },
      { type: "event", run_id: "r1", seq: 5, ts: at(3), data: { kind: "step_started", nodeid: "t::b" } },
      { type: "complete", run_id: "r1", seq: 6, ts: at(10), status: "ABORTED", exit_code: 2, reason: "aborted by the operator", duration: 10 },
    ];
    const state = records.reduce(apply, subscribed("r1"));
    expect(state.counts).toMatchObject({ done: 1, total: 3, passed: 1 });
    expect(state.steps.map((s) => s.outcome)).toEqual(["passed", "interrupted", "not_run"]);
    expect(state.steps[1]).toMatchObject({ duration: 7, reason: "aborted by the operator" });
  });

  it("copies no kept output or measurements per record: their arrays change only when a block of old ones is dropped", () => {
    let state = subscribed("r1");
    const outputs = new Set<unknown>();
    const measurements = new Set<unknown>();
    for (let seq = 1; seq <= 2000; seq++) {
      const data = { kind: "measurement" as const, name: "v", value: seq, low: null, high: null, unit: "", verdict: "PASS" as const, step: null };
      state = apply(state, seq % 2 ? output(seq, `line ${seq}`) : { type: "event", run_id: "r1", seq, ts: "2026-01-01T00:00:00Z", data });
      outputs.add(state.output.items);
      measurements.add(state.measurements.items);
    }
    expect(outputs.size).toBeLessThanOrEqual(1 + 1000 / (OUTPUT_TAIL / 4)); // one array per block of OUTPUT_TAIL / 4 dropped
    expect(measurements.size).toBe(1); // 1,000 measurements: under the cap, never copied
  });

  it("shows who aborted a run where a viewer looks for trouble", () => {
    const abort: ServerMessage = { type: "event", run_id: "r1", seq: 1, ts: "2026-01-01T00:00:00Z", data: { kind: "abort_requested", who: "ada" } };
    const state = apply(subscribed("r1"), abort);
    expect(entries(state.output).at(-1)).toMatchObject({ seq: 1, stream: "stderr", line: "[litmus-live] ada aborted the run" });
  });

  it("caps the timeline, counting what it dropped", () => {
    let timeline: Kept<ReturnType<typeof output>> = { items: [], length: 0, dropped: 0 };
    for (let seq = 1; seq <= 30; seq++) timeline = append(timeline, output(seq, ""), 10);
    expect(timeline.length).toBeLessThanOrEqual(12);
    expect(timeline.dropped + timeline.length).toBe(30);
    expect(entries(timeline).at(-1)?.seq).toBe(30);
  });
});
