// Navigation and the ACTIVE TESTS block (fed by store.activeRuns).
import type { ActiveRun } from "../protocol";
import { route } from "../route";
import { activeRuns, connectionFailure } from "../store";
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
      {connectionFailure.value && <p class="side-empty" data-tone="error">Disconnected: this list may be out of date</p>}
      {runs.length === 0 && <p class="side-empty">No tests running</p>}
      {runs.map((r) => <ActiveRow run={r} isCurrent={r.run_id === openId} key={r.run_id} />)}
    </section>
  );
}

/** One live run; amber while it waits for the operator, and the link lands where the dialog opens. */
function ActiveRow({ run, isCurrent }: { run: ActiveRun; isCurrent: boolean }) {
  const waiting = run.prompts_waiting;
  return (
    <Link href={`/live/${run.run_id}`} class="active-run" data-current={isCurrent} data-waiting={waiting > 0} data-testid="active-run">
      <span class="active-head">
        <span class="active-serial">{run.uut_serial || run.run_id.slice(0, 8)}</span>
        <span class="active-status" data-status={run.status.toLowerCase()}>{run.status}</span>
      </span>
      <span class="active-test">{run.test_path}</span>
      {waiting > 0 && <span class="active-waiting" role="status">{waiting} dialog(s) waiting</span>}
      <span class="active-progress">
        <span class="bar" data-status={run.status.toLowerCase()}>
          <span style={{ width: `${run.total ? (100 * run.done) / run.total : 0}%` }} />
        </span>
        <span class="active-step">{run.done}/{run.total} {stepName(run.current_step)}</span>
      </span>
    </Link>
  );
}
