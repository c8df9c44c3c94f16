// The Steps tab of the live page: each step with its outcome and duration as the record tells
// them (interrupted and not-run steps named so), and the measurements it checked against limits:
// the latest few of each step, beside a count of the earlier ones and how many of them failed
// (a step may take thousands, and the tab redraws while the run streams).
import type { Measurement } from "../protocol";
import type { Step } from "../state";
import { duration, limits, outcomeLabel, reading, stepName } from "./format";

/** Readings listed per step: the latest ones. */
const READINGS_PER_STEP = 20;

export function StepsPanel({ steps, measurements }: { steps: Step[]; measurements: Measurement[] }) {
  if (steps.length === 0) return <p class="empty">No steps collected yet</p>;
  const byStep = new Map<string, Measurement[]>();
  for (const m of measurements) {
    const ofStep = byStep.get(m.step ?? "");
    if (ofStep) ofStep.push(m);
    else byStep.set(m.step ?? "", [m]);
  }
  return (
    <div class="scroll-x steps-panel">
      <table class="table steps" data-testid="live-steps">
        <thead>
          <tr><th class="num">#</th><th>Step</th><th>Outcome</th><th class="num">Duration</th><th>Measurements</th></tr>
        </thead>
        <tbody>
          {steps.map((s, i) => (
            <tr key={s.nodeid} data-outcome={s.outcome}>
              <td class="num subtle">{i + 1}</td>
              <td class="mono" title={s.nodeid}>{stepName(s.nodeid)}{s.reason && <div class="reason">{s.reason}</div>}</td>
              <td><span class="outcome" data-outcome={s.outcome}>{outcomeLabel(s.outcome)}</span></td>
              <td class="num">{s.outcome === "running" ? "…" : duration(s.duration)}</td>
              <td><StepMeasurements measurements={byStep.get(s.nodeid) ?? []} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function StepMeasurements({ measurements }: { measurements: Measurement[] }) {
  if (measurements.length === 0) return <span class="subtle">—</span>;
  const earlier = Math.max(0, measurements.length - READINGS_PER_STEP);
  return (
    <ul class="step-readings">
      {earlier > 0 && <EarlierReadings measurements={measurements.slice(0, earlier)} />}
      {measurements.slice(earlier).map((m, i) => (
        <li key={earlier + i} data-verdict={m.verdict.toLowerCase()}>
          <span class="mono">{m.name}</span> <b class="mono">{[reading(m.value), m.unit].filter(Boolean).join(" ")}</b>{" "}
          <span class="subtle mono">{limits(m.low, m.high)}</span> <span class="verdict" data-verdict={m.verdict.toLowerCase()}>{m.verdict}</span>
        </li>
      ))}
    </ul>
  );
}

function EarlierReadings({ measurements }: { measurements: Measurement[] }) {
  const failed = measurements.filter((m) => m.verdict !== "PASS").length;
  return (
    <li class="subtle" data-testid="earlier-readings" data-verdict={failed > 0 ? "fail" : "pass"}>
      {measurements.length.toLocaleString("en")} earlier {measurements.length === 1 ? "reading" : "readings"}
      {failed > 0 ? `, ${failed.toLocaleString("en")} of them failed` : ", all passed"}
    </li>
  );
}
