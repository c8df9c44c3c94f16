// Navigation and the ACTIVE TESTS block (fed by store.activeRuns).
import { route } from "../route";
import { activeRuns } from "../store";
import { stepName } from "./format";
import { Link } from "./Link";

export function Sidebar() {
  const page = route.value.page;
  return (
    <aside class="sidebar">
      <div class="brand">
        <span class="brand-mark" aria-hidden="true" />
        <span>Litmus Live</span>
      </div>
      <nav class="nav">
        <Link href="/launch" data-current={page === "launch"}>Launch Test</Link>
        <Link href="/results" data-current={page === "results" || page === "result"}>Results</Link>
      </nav>
      <ActiveTests />
    </aside>
  );
}

function ActiveTests() {
  const runs = activeRuns.value;
  const here = route.value;
  const openId = here.page === "live" ? here.runId : null;
  return (
    <section class="active" aria-label="Active tests">
      <h2 class="side-heading">Active tests <span class="count">{runs.length}</span></h2>
      {runs.length === 0 && <p class="side-empty">No tests running</p>}
      {runs.map((r) => (
        <Link href={`/live/${r.run_id}`} class="active-run" key={r.run_id} data-current={r.run_id === openId}>
          <span class="active-serial">{r.uut_serial}</span>
          <span class="active-test">{r.test_path}</span>
          <span class="active-progress">
            <span class="bar" data-status={r.status.toLowerCase()}>
              <span style={{ width: `${r.total ? (100 * r.done) / r.total : 0}%` }} />
            </span>
            <span class="active-step">{r.done}/{r.total} {stepName(r.current_step)}</span>
          </span>
        </Link>
      ))}
    </section>
  );
}
