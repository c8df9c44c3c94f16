// The channel fold (PROTOCOL.md §4.10): snapshots replace, updates append and trim, and a
// viewer attached late folds to what a viewer attached from the start holds.
import { describe, expect, it } from "vitest";
import { applyChannels, CHANNEL_POINTS, channelKind, isOutOfLimits, type ChannelList, type Point } from "./channels";
import type { ChannelState, Channels, Event } from "./protocol";
import { apply, entries, initial, type RunState } from "./state";

const RUN = "r1";
const T0 = 1_795_493_559;

function channel(name: string, points: Point[], extra: Partial<ChannelState> = {}): ChannelState {
  const numbers = points.map((p) => p[1]).filter((v): v is number => typeof v === "number");
  const last = points.at(-1);
  return {
    name, unit: "V", count: points.length, last: last?.[1] ?? null, last_t: last?.[0] ?? null,
    min: numbers.length ? Math.min(...numbers) : null, max: numbers.length ? Math.max(...numbers) : null,
    points, ...extra,
  };
}

const message = (isSnapshot: boolean, channels: ChannelState[], runId = RUN): Channels =>
  ({ type: "channels", run_id: runId, is_snapshot: isSnapshot, channels });
const update = (...channels: ChannelState[]) => message(false, channels);
const snapshot = (...channels: ChannelState[]) => message(true, channels);
const ramp = (from: number, to: number): Point[] => Array.from({ length: to - from }, (_, i) => [T0 + (from + i) * 0.05, from + i]);
const fold = (messages: Channels[]): ChannelList => messages.reduce(applyChannels, [] as ChannelList);

/** The totals a channel has after readings 0..end, with only the points new since `start`. */
const rampUpdate = (start: number, end: number) =>
  channel("psu.5V0", ramp(start, end), { count: end, min: 0, max: end - 1 });

describe("applyChannels", () => {
  it("takes a snapshot as the whole state, in its order", () => {
    const held = fold([update(channel("old", ramp(0, 3)))]);
    const next = applyChannels(held, snapshot(channel("b", ramp(0, 2)), channel("a", ramp(0, 1))));
    expect(next.map((c) => c.name)).toEqual(["b", "a"]);
    expect(next[0]).toMatchObject({ count: 2, last: 1, lastT: T0 + 0.05, min: 0, max: 1, unit: "V" });
  });

  it("keeps the limits a channel declares; a channel state without them (an older server) has none", () => {
    const [rail, plain] = fold([update(channel("psu.5V0", ramp(0, 2), { low: 4.9, high: 5.1 }), channel("older", ramp(0, 2)))]);
    expect([rail!.low, rail!.high, plain!.low, plain!.high]).toEqual([4.9, 5.1, null, null]);
    expect(isOutOfLimits(rail!)).toBe(true); // its last reading, 1, is under 4.9
    expect(isOutOfLimits({ ...rail!, last: 5.0 })).toBe(false);
    expect(isOutOfLimits(plain!)).toBe(false);
  });

  it("appends the new points of an update and replaces its totals", () => {
    const state = fold([update(rampUpdate(0, 3)), update(rampUpdate(3, 5))]);
    expect(state).toHaveLength(1);
    expect(state[0]!.points.map((p) => p[1])).toEqual([0, 1, 2, 3, 4]);
    expect(state[0]).toMatchObject({ count: 5, last: 4, max: 4, min: 0 });
  });

  it("leaves channels an update does not list as they were", () => {
    const before = fold([update(channel("a", ramp(0, 2)), channel("b", ramp(0, 2)))]);
    const after = applyChannels(before, update(channel("b", ramp(2, 3), { count: 3 })));
    expect(after[0]).toBe(before[0]);
    expect(after.map((c) => c.name)).toEqual(["a", "b"]);
    expect(after[1]!.count).toBe(3);
  });

  it(`keeps only the last ${CHANNEL_POINTS} points`, () => {
    const updates = [];
    for (let start = 0; start < 1000; start += 3) updates.push(update(rampUpdate(start, Math.min(start + 3, 1000))));
    const [psu] = fold(updates);
    expect(psu!.points).toHaveLength(CHANNEL_POINTS);
    expect(psu!.points[0]![1]).toBe(700);
    expect(psu!.points.at(-1)![1]).toBe(999);
    expect(psu!.count).toBe(1000);
  });

  it("trims an update that alone brings more than the limit", () => {
    const [psu] = fold([update(rampUpdate(0, 10)), update(rampUpdate(10, 400))]);
    expect(psu!.points.map((p) => p[1])).toEqual(ramp(100, 400).map((p) => p[1]));
  });

  it("never changes the list it was given", () => {
    const before = fold([update(rampUpdate(0, 2))]);
    const copy = structuredClone(before);
    applyChannels(before, update(rampUpdate(2, 4)));
    expect(before).toEqual(copy);
  });

  it("folds a late snapshot to what the updates built", () => {
    const updates = [];
    for (let start = 0; start < 500; start += 7) updates.push(update(rampUpdate(start, Math.min(start + 7, 500))));
    const late = applyChannels([], snapshot(channel("psu.5V0", ramp(200, 500), { count: 500, min: 0, max: 499 })));
    expect(fold(updates)).toEqual(late);
  });

  it("holds boolean and string channels with their last value and no range", () => {
    const relay = channel("relay.k1", [[T0, true], [T0 + 1, false]], { unit: "" });
    const mode = channel("dut.mode", [[T0, "boot"], [T0 + 1, "idle"]], { unit: "" });
    const [k1, dut] = fold([update(relay, mode), update(channel("relay.k1", [[T0 + 2, true]], { count: 3, unit: "" }))]);
    expect(k1).toMatchObject({ last: true, count: 3, min: null, max: null });
    expect(k1!.points.map((p) => p[1])).toEqual([true, false, true]);
    expect(dut).toMatchObject({ last: "idle", min: null, max: null });
    expect([channelKind(k1!), channelKind(dut!)]).toEqual(["boolean", "string"]);
    expect(channelKind(fold([update(rampUpdate(0, 1))])[0]!)).toBe("number");
  });
});

describe("channels in the run state", () => {
  const subscribed = (): RunState =>
    apply(initial(RUN), { type: "subscribed", run_id: RUN, since_seq: 0, head_seq: 0, status: "RUNNING" });

  it("count only once the subscription is confirmed, and only for the watched run", () => {
    const first = update(rampUpdate(0, 2));
    expect(apply(initial(RUN), first).channels).toEqual([]);
    expect(apply(subscribed(), message(false, first.channels, "other")).channels).toEqual([]);
    expect(apply(subscribed(), first).channels).toHaveLength(1);
  });

  it("keep the log position untouched (channels are not log records)", () => {
    const state = apply(subscribed(), update(rampUpdate(0, 2)));
    expect(state.lastSeq).toBe(0);
    expect(state.timeline.length).toBe(0);
  });
});

describe("measurements in the run state", () => {
  const measured = (seq: number, verdict: "PASS" | "FAIL", low: number | null, high: number | null): Event => ({
    type: "event", run_id: RUN, seq, ts: "2026-01-01T00:00:00Z",
    data: { kind: "measurement", name: `rail_${seq}`, value: 5.012, low, high, unit: "V", verdict, step: "t.py::test_rail" },
  });

  it("are kept in log order and listed in the timeline", () => {
    let state = apply(initial(RUN), { type: "subscribed", run_id: RUN, since_seq: 0, head_seq: 0, status: "RUNNING" });
    state = [measured(1, "PASS", 4.9, 5.1), measured(2, "FAIL", null, 5)].reduce(apply, state);
    expect(entries(state.measurements).map((m) => [m.name, m.verdict, m.low])).toEqual([["rail_1", "PASS", 4.9], ["rail_2", "FAIL", null]]);
    expect(state.timeline.length).toBe(2);
  });
});
