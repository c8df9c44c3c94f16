// The Measurements section of a run's results: every value `verify` checked, with its limits.
import type { Measurement } from "../protocol";
import { reading, stepName } from "./format";

export function MeasurementsTable({ measurements }: { measurements: Measurement[] }) {
  if (measurements.length === 0) return null;
  const failed = measurements.filter((m) => m.verdict === "FAIL").length;
  return (
    <section class="card table-card" aria-labelledby="measurements-heading">
      <h2 class="card-heading" id="measurements-heading">
        Measurements <span class="count">{measurements.length}</span>
        {failed > 0 && <span class="heading-note" data-verdict="fail">{failed} out of limits</span>}
      </h2>
      <table class="table measurements" data-testid="measurements">
        <thead>
          <tr>
            <th>Measurement</th><th class="num">Value</th><th class="num">Low</th><th class="num">High</th>
            <th>Unit</th><th>Verdict</th><th>Step</th>
          </tr>
        </thead>
        <tbody>
          {measurements.map((m, i) => (
            <tr key={i} data-verdict={m.verdict.toLowerCase()}>
              <td class="mono">{m.name}</td>
              <td class="num mono strong">{reading(m.value)}</td>
              <td class="num mono">{reading(m.low)}</td>
              <td class="num mono">{reading(m.high)}</td>
              <td>{m.unit || "—"}</td>
              <td><span class="verdict" data-verdict={m.verdict.toLowerCase()}>{m.verdict}</span></td>
              <td class="mono subtle" title={m.step ?? ""}>{stepName(m.step ?? null) || "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
