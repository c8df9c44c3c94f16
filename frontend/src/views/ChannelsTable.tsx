// The Channels section of a run's results: each channel's totals and final history (the
// server's snapshot), with every reading one click away as CSV.
import { samplesUrl } from "../api";
import { channelKind, type ChannelList } from "../channels";
import { limits, reading } from "./format";
import { Sparkline } from "./Sparkline";

export function ChannelsTable({ runId, channels }: { runId: string; channels: ChannelList }) {
  if (channels.length === 0) return null;
  return (
    <section class="card table-card" aria-labelledby="channels-heading">
      <h2 class="card-heading" id="channels-heading">Channels <span class="count">{channels.length}</span></h2>
      <table class="table channel-table" data-testid="channel-table">
        <thead>
          <tr>
            <th>Channel</th><th class="num">Readings</th><th class="num">Last</th><th class="num">Min</th>
            <th class="num">Max</th><th>Limits</th><th>Unit</th><th>History</th><th>Samples</th>
          </tr>
        </thead>
        <tbody>
          {channels.map((c) => {
            const kind = channelKind(c);
            return (
              <tr key={c.name} data-channel={c.name}>
                <td class="mono strong">{c.name}</td>
                <td class="num">{c.count.toLocaleString()}</td>
                <td class="num mono">{reading(c.last)}</td>
                <td class="num mono">{reading(c.min)}</td>
                <td class="num mono">{reading(c.max)}</td>
                <td class="mono">{limits(c.low, c.high) || "—"}</td>
                <td>{c.unit || "—"}</td>
                <td class="history">
                  {kind !== "string" && <Sparkline points={c.points} isStep={kind === "boolean"} limits={[c.low, c.high]} label={`${c.name} history`} />}
                </td>
                <td><a class="button small" href={samplesUrl(runId, c.name)} download={`${runId}-${c.name}.csv`}>CSV</a></td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
