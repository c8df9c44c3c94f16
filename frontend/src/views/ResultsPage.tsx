// /results: every run, newest first, each linking to its detail page.
import { useEffect } from "preact/hooks";
import { activeRuns, history, loadHistory } from "../store";
import { between, dateTime, duration } from "./format";
import { Link } from "./Link";
import { StatusPill } from "./StatusPill";

export function ResultsPage() {
  // Re-read when the pushed active-runs feed says a run started, changed status or ended.
  const live = activeRuns.value.map((r) => `${r.run_id}:${r.status}`).join(" ");
  useEffect(() => void loadHistory(), [live]);
  const runs = history.value;
  return (
    <section class="results">
      <header class="page-head">
        <h1>Results</h1>
        <p class="subtle">{runs === null ? "Loading…" : `${runs.length} run${runs.length === 1 ? "" : "s"}, newest first`}</p>
      </header>
      <div class="card table-card">
        <table class="table history" data-testid="history">
          <thead>
            <tr>
              <th>Verdict</th><th>UUT Serial</th><th>Test</th><th>Station</th><th>Operator</th>
              <th>Started</th><th class="num">Duration</th><th class="num">Steps</th><th>Run</th>
            </tr>
          </thead>
          <tbody>
            {runs?.length === 0 && (
              <tr><td colSpan={9} class="empty">No runs yet. <Link href="/launch">Launch a test</Link>.</td></tr>
            )}
            {runs?.map((r) => (
              <tr key={r.run_id}>
                <td data-label="Verdict"><StatusPill status={r.status} /></td>
                <td data-label="UUT Serial" class="nowrap"><Link href={`/results/${encodeURIComponent(r.run_id)}`} class="strong">{r.uut_serial}</Link></td>
                <td data-label="Test" class="mono path">{atSlashes(r.test_path)}</td>
                <td data-label="Station">{r.station || "—"}</td>
                <td data-label="Operator">{r.operator || "—"}</td>
                <td data-label="Started" class="nowrap">{dateTime(r.created_at)}</td>
                <td data-label="Duration" class="num">{r.is_live ? "running" : duration(between(r.created_at, r.finished_at))}</td>
                <td data-label="Steps" class="num">
                  <span data-outcome="passed">{r.passed}</span>/{r.total}
                  {r.failed + r.errors > 0 && <span data-outcome="failed"> · {r.failed + r.errors} failed</span>}
                </td>
                <td data-label="Run"><Link href={`/${r.is_live ? "live" : "results"}/${encodeURIComponent(r.run_id)}`} class="mono subtle">{r.run_id.slice(0, 8)}</Link></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** A path that may break only after its slashes, never inside a name. */
function atSlashes(path: string) {
  return path.split("/").flatMap((part, i) => (i === 0 ? [part] : ["/", <wbr key={i} />, part]));
}
