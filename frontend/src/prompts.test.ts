// Prompts as the fold sees them: a `prompt` record opens one, its `prompt_resolved` event closes
// it; a viewer attaching at any point folds the log and sees exactly the prompts still open.
import { describe, expect, it } from "vitest";
import type { ActiveRun, Event, Prompt, PromptResolved, ServerMessage } from "./protocol";
import { describeResolution, openPrompts, waitingTotal } from "./prompts";
import { apply, entries, initial, type RunState } from "./state";

const RUN = "r1";
const ts = "2026-11-24T03:49:34.000000Z";

function prompt(seq: number, name: string, extra: Partial<Prompt> = {}): Prompt {
  return { type: "prompt", run_id: RUN, seq, ts, prompt_id: `p-${name}`, name, prompt_type: "confirm", message: `${name}?`, deadline: null, ...extra };
}

function resolved(seq: number, name: string, data: Omit<PromptResolved, "kind" | "prompt_id">): Event {
  return { type: "event", run_id: RUN, seq, ts, data: { kind: "prompt_resolved", prompt_id: `p-${name}`, ...data } };
}

const answered = (seq: number, name: string, value: string | boolean, who = "alice") =>
  resolved(seq, name, { resolution: "answered", value, who, via: "ui", waited: 4.2, reason: "" });

function fold(messages: ServerMessage[], headSeq = 0, sinceSeq = 0): RunState {
  const subscribed: ServerMessage = { type: "subscribed", run_id: RUN, since_seq: sinceSeq, head_seq: headSeq, status: "RUNNING" };
  return [subscribed, ...messages].reduce(apply, initial(RUN));
}

const openNames = (state: RunState) => openPrompts(state.prompts).map((p) => p.prompt.name);

describe("prompts in the fold", () => {
  it("keeps a prompt open until its resolution arrives", () => {
    const asked = fold([prompt(1, "insert_uut")]);
    expect(openNames(asked)).toEqual(["insert_uut"]);
    const done = apply(asked, answered(2, "insert_uut", true));
    expect(openNames(done)).toEqual([]);
    expect(done.prompts[0]?.resolution?.who).toBe("alice");
    expect(done.prompts[0]?.resolvedAt).toBe(ts);
  });

  it("records expiry and withdrawal with their reasons", () => {
    const state = fold([
      prompt(1, "chamber_temp", { prompt_type: "input", timeout_seconds: 120, deadline: ts }),
      prompt(2, "pick_bench", { prompt_type: "choice", choices: ["bench_01"] }),
      resolved(3, "chamber_temp", { resolution: "expired", reason: "no answer within 120 s", waited: 120 }),
      resolved(4, "pick_bench", { resolution: "withdrawn", reason: "the run was aborted", waited: 1 }),
    ]);
    expect(openNames(state)).toEqual([]);
    expect(state.prompts.map((p) => [p.prompt.name, p.resolution?.resolution, p.resolution?.reason])).toEqual([
      ["chamber_temp", "expired", "no answer within 120 s"],
      ["pick_bench", "withdrawn", "the run was aborted"],
    ]);
  });

  it("holds several open prompts at once, oldest first, closing them in any order", () => {
    const three = fold([prompt(1, "a"), prompt(2, "b"), prompt(3, "c")]);
    expect(openNames(three)).toEqual(["a", "b", "c"]);
    expect(openNames(apply(three, answered(4, "b", "x")))).toEqual(["a", "c"]);
  });

  it("shows a viewer attaching mid-prompt exactly the prompts still open", () => {
    const log = [prompt(1, "insert_uut"), answered(2, "insert_uut", true), prompt(3, "pick_bench")];
    expect(openNames(fold(log, 3))).toEqual(["pick_bench"]);
    const resumed = apply(fold(log.slice(0, 2), 2), { type: "subscribed", run_id: RUN, since_seq: 2, head_seq: 3, status: "RUNNING" });
    expect(openNames(apply(resumed, log[2]!))).toEqual(["pick_bench"]);
  });

  it("ignores a second resolution and a resolution of a prompt it never saw", () => {
    const once = fold([prompt(1, "a"), answered(2, "a", "first")]);
    const twice = apply(once, answered(3, "a", "second", "bob"));
    expect(twice.prompts[0]?.resolution?.value).toBe("first");
    expect(fold([answered(1, "ghost", "x")]).prompts).toEqual([]);
  });

  it("puts prompts and resolutions on the timeline in seq order", () => {
    const state = fold([prompt(1, "a"), answered(2, "a", true)]);
    expect(entries(state.timeline).map((e) => e.type)).toEqual(["prompt", "event"]);
  });

  it("leaves the run untouched for replies to this client and the active-runs feed", () => {
    const state = fold([prompt(1, "a")]);
    expect(apply(state, { type: "prompt_accepted", id: "a1", run_id: RUN, prompt_id: "p-a" })).toBe(state);
    expect(apply(state, { type: "active_runs", runs: [] })).toBe(state);
  });
});

describe("describeResolution", () => {
  it("says who answered what, how and after how long", () => {
    expect(describeResolution("pick_bench", answered(1, "pick_bench", "bench_02").data as PromptResolved))
      .toBe("Prompt 'pick_bench' answered 'bench_02' by alice via ui after 4.2 s");
  });

  it("says why a prompt closed without an answer", () => {
    expect(describeResolution("chamber_temp", { kind: "prompt_resolved", prompt_id: "p", resolution: "expired", reason: "no answer within 120 s" }))
      .toBe("Prompt 'chamber_temp' expired: no answer within 120 s");
  });
});

describe("waitingTotal", () => {
  const activeRun = (run_id: string, prompts_waiting: number): ActiveRun => ({
    run_id, test_path: "station/test_setup.py", uut_serial: "SN", operator: "", station: "", created_at: ts,
    status: "RUNNING", total: 1, done: 0, current_step: null, prompts_waiting,
  });

  it("adds the prompts waiting in every live run of a snapshot", () => {
    expect(waitingTotal([])).toBe(0);
    expect(waitingTotal([activeRun("a", 2), activeRun("b", 0), activeRun("c", 1)])).toBe(3);
  });
});
