// The Measurements section of a run's results: every value `verify` checked, with its limits.
// A long table (a run keeps up to 12,500) scrolls inside its card and holds only the rows in
// view: a redraw while the record loads, or a scroll, builds a few dozen rows, not thousands.
import { useRef, useState } from "preact/hooks";
import type { Measurement } from "../protocol";
import { reading, stepName } from "./format";
import { useBoxHeight } from "./boxHeight";
import { rowWindow } from "./rowWindow";

/** Tables up to this many rows are drawn whole. */
const WINDOWED_FROM = 200;
/** Each row's height in a windowed table (the stylesheet holds its cells to it). */
const ROW = 36;
const OVERSCAN = 10;
const COLUMNS = 7;

export function MeasurementsTable({ measurements }: { measurements: Measurement[] }) {
  if (measurements.length === 0) return null;
  const failed = measurements.filter((m) => m.verdict === "FAIL").length;
  return (
    <section class="card table-card" aria-labelledby="measurements-heading">
      <h2 class="card-heading" id="measurements-heading">
        Measurements <span class="count">{measurements.length}</span>
        {failed > 0 && <span class="heading-note" data-verdict="fail">{failed} out of limits</span>}
      </h2>
      {measurements.length > WINDOWED_FROM ? <WindowedTable measurements={measurements} /> : <Table measurements={measurements} />}
    </section>
  );
}

function Table({ measurements }: { measurements: Measurement[] }) {
  return (
    <table class="table measurements" data-testid="measurements">
      <Head />
      <tbody>{measurements.map((m, i) => <Row key={i} m={m} />)}</tbody>
    </table>
  );
}

function WindowedTable({ measurements }: { measurements: Measurement[] }) {
  const box = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const height = useBoxHeight(box, 600);
  const { first, last } = rowWindow(measurements.length, scrollTop, height, ROW, OVERSCAN);
  return (
    <div class="measurements-window" ref={box} onScroll={() => setScrollTop(box.current!.scrollTop)} data-testid="measurements-window">
      <table class="table measurements" data-windowed data-testid="measurements">
        <Head />
        <tbody>
          <Spacer rows={first} />
          {measurements.slice(first, last).map((m, i) => <Row key={first + i} m={m} />)}
          <Spacer rows={measurements.length - last} />
        </tbody>
      </table>
    </div>
  );
}

function Head() {
  return (
    <thead>
      <tr>
        <th>Measurement</th><th class="num">Value</th><th class="num">Low</th><th class="num">High</th>
        <th>Unit</th><th>Verdict</th><th>Step</th>
      </tr>
    </thead>
  );
}

function Row({ m }: { m: Measurement }) {
  return (
    <tr data-verdict={m.verdict.toLowerCase()}>
      <td class="mono">{m.name}</td>
      <td class="num mono strong">{reading(m.value)}</td>
      <td class="num mono">{reading(m.low)}</td>
      <td class="num mono">{reading(m.high)}</td>
      <td>{m.unit || "—"}</td>
      <td><span class="verdict" data-verdict={m.verdict.toLowerCase()}>{m.verdict}</span></td>
      <td class="mono subtle" title={m.step ?? ""}>{stepName(m.step ?? null) || "—"}</td>
    </tr>
  );
}

/** Stands in for `rows` rows out of view, so the scroll bar tells the table's whole length. */
function Spacer({ rows }: { rows: number }) {
  if (rows === 0) return null;
  return <tr class="spacer" aria-hidden="true"><td colSpan={COLUMNS} style={{ height: `${rows * ROW}px` }} /></tr>;
}
