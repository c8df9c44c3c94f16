// Live instrument channels of one run, as the fold in state.ts keeps them from `channels`
// messages (PROTOCOL.md §4.10): a snapshot replaces everything, an update replaces the totals
// of the channels it lists and appends their new points. Pure, no I/O.
import type { ChannelState, Channels as ChannelsMessage } from "./protocol";

/** History kept per channel, as the server keeps for a snapshot. */
export const CHANNEL_POINTS = 300;

export type Reading = number | boolean | string;
export type Point = [t: number, value: Reading];

/** A channel as the views read it: the server's totals and the last CHANNEL_POINTS points. */
export interface Channel {
  name: string;
  unit: string;
  count: number;
  last: Reading | null;
  lastT: number | null;
  min: number | null;
  max: number | null;
  /** The limits the test declared for the channel, drawn on its sparkline; null: none. */
  low: number | null;
  high: number | null;
  points: Point[];
}

/** In order of first appearance (a snapshot brings its own order). */
export type ChannelList = readonly Channel[];

export function applyChannels(channels: ChannelList, msg: ChannelsMessage): ChannelList {
  if (msg.is_snapshot) return msg.channels.map((c) => toChannel(c, []));
  if (msg.channels.length === 0) return channels;
  const next = channels.slice();
  for (const update of msg.channels) {
    const index = next.findIndex((c) => c.name === update.name);
    if (index < 0) next.push(toChannel(update, []));
    else next[index] = toChannel(update, next[index]!.points);
  }
  return next;
}

function toChannel(c: ChannelState, earlier: Point[]): Channel {
  return {
    name: c.name,
    unit: c.unit,
    count: c.count,
    last: c.last,
    lastT: c.last_t,
    min: c.min,
    max: c.max,
    low: c.low ?? null,
    high: c.high ?? null,
    points: keepLast(earlier, c.points),
  };
}

function keepLast(earlier: Point[], added: Point[]): Point[] {
  const total = earlier.length + added.length;
  if (total <= CHANNEL_POINTS) return earlier.concat(added);
  const drop = total - CHANNEL_POINTS;
  return drop >= earlier.length ? added.slice(drop - earlier.length) : earlier.slice(drop).concat(added);
}

/** Whether the channel's latest reading is outside the limits it declared. */
export function isOutOfLimits(channel: Channel): boolean {
  const v = channel.last;
  return typeof v === "number" && ((channel.low !== null && v < channel.low) || (channel.high !== null && v > channel.high));
}

export type ChannelKind = "number" | "boolean" | "string";

/** Numbers draw as a line, booleans as a 0/1 step line; strings show their recent values. */
export function channelKind(channel: Channel): ChannelKind {
  const value = channel.last ?? channel.points.at(-1)?.[1] ?? 0;
  return typeof value === "number" ? "number" : typeof value === "boolean" ? "boolean" : "string";
}
