// The Channels tab of the live page: per channel the last value and unit (red when outside the
// channel's limits), a sparkline of its recent history with its limits, how many readings
// arrived and their range.
import { channelKind, isOutOfLimits, type Channel, type ChannelList } from "../channels";
import { duration, limits, reading } from "./format";
import { Sparkline } from "./Sparkline";

const RECENT_VALUES = 6;

export function ChannelsPanel({ channels }: { channels: ChannelList }) {
  if (channels.length === 0) return <p class="empty" data-testid="channels-empty">No channels recorded yet</p>;
  return (
    <div class="channels" data-testid="channels">
      {channels.map((c) => <ChannelCard channel={c} key={c.name} />)}
    </div>
  );
}

function ChannelCard({ channel: c }: { channel: Channel }) {
  const kind = channelKind(c);
  return (
    <article class="channel" data-channel={c.name} data-kind={kind} data-testid="channel">
      <header class="channel-head">
        <span class="channel-name">{c.name}</span>
        <span class="channel-count" title="readings so far">{c.count.toLocaleString()}</span>
      </header>
      <div class="channel-value" data-value={kind === "boolean" ? String(c.last) : undefined} data-out-of-limits={isOutOfLimits(c) || undefined}>
        <span class="channel-last" data-testid="channel-last">{reading(c.last)}</span>
        {c.unit && <span class="channel-unit">{c.unit}</span>}
      </div>
      {kind === "string"
        ? <RecentValues channel={c} />
        : <Sparkline points={c.points} isStep={kind === "boolean"} limits={[c.low, c.high]} label={`${c.name} history`} />}
      <footer class="channel-range">
        {kind === "number" ? <><span>min <b>{reading(c.min)}</b></span><span>max <b>{reading(c.max)}</b></span></> : <span>{kind}</span>}
        {(c.low !== null || c.high !== null) && <span data-testid="channel-limits">limits <b>{limits(c.low, c.high)}</b></span>}
        <span title="time the history spans">{historySpan(c)}</span>
      </footer>
    </article>
  );
}

/** "last 12.4 s": how far back the points shown go. */
function historySpan(channel: Channel): string {
  const points = channel.points;
  if (points.length < 2) return "";
  return `last ${duration(points.at(-1)![0] - points[0]![0])}`;
}

/** A string channel's last few distinct values, newest first. */
function RecentValues({ channel }: { channel: Channel }) {
  const values: string[] = [];
  for (let i = channel.points.length - 1; i >= 0 && values.length < RECENT_VALUES; i--) {
    const value = String(channel.points[i]![1]);
    if (values.at(-1) !== value) values.push(value);
  }
  return (
    <ol class="recent-values">
      {values.map((v, i) => <li key={i}>{v}</li>)}
    </ol>
  );
}
