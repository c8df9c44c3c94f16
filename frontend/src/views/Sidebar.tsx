// Navigation and the ACTIVE TESTS block (fed by store.activeRuns). Under 900 px it is a top bar
// whose menu button opens the same navigation as a drawer; the waiting count stays in the bar.
import { useEffect, useState } from "preact/hooks";
import type { ActiveRun } from "../protocol";
import { route } from "../route";
import { me, signOut } from "../session";
import { activeRuns, connectionFailure, promptsWaiting } from "../store";
import { Alerts } from "./Alerts";
import { stepName } from "./format";
import { Link } from "./Link";

export function Sidebar() {
  const page = route.value.page;
  const [isOpen, setOpen] = useState(false);
  useEffect(() => setOpen(false), [route.value]);
  const waiting = promptsWaiting.value;
  return (
    <aside class="sidebar" data-open={isOpen}>
      <div class="topbar">
        <Link href="/launch" class="brand">
          <span class="brand-mark" aria-hidden="true" />
          <span>Litmus Live</span>
        </Link>
        {waiting > 0 && <span class="topbar-waiting" data-testid="topbar-waiting">{waiting} dialog(s) waiting</span>}
        <button type="button" class="menu-button" aria-expanded={isOpen} aria-controls="drawer" onClick={() => setOpen(!isOpen)}>
          {isOpen ? "Close" : "Menu"}
        </button>
      </div>
      <div class="drawer" id="drawer">
        <nav class="nav">
          <Link href="/launch" data-current={page === "launch"}>Launch Test</Link>
          <Link href="/results" data-current={page === "results" || page === "result"}>Results</Link>
          {me.value?.role === "admin" && <Link href="/people" data-current={page === "people"}>People</Link>}
        </nav>
        <ActiveTests />
        <Alerts />
        <SignedIn />
      </div>
    </aside>
  );
}

function SignedIn() {
  const who = me.value;
  if (!who) return null;
  return (
    <section class="signed-in" aria-label="Signed in" data-testid="signed-in">
      <span class="who">{who.name}</span> <span class="role" data-role={who.role}>{who.role}</span>
      <button type="button" class="link-button" onClick={() => void signOut().then(() => window.location.assign("/"))}>Sign out</button>
    </section>
  );
}

function ActiveTests() {
  const runs = activeRuns.value;
  const here = route.value;
  const openId = here.page === "live" ? here.runId : null;
  return (
    <section class="active" aria-label="Active tests">
      <h2 class="side-heading">Active tests <span class="count">{runs.length}</span></h2>
      {connectionFailure.value && <p class="side-empty" data-tone="error">Disconnected: this list may be out of date. Refresh to reconnect.</p>}
      {runs.length === 0 && <p class="side-empty">No tests running</p>}
      {runs.map((r) => <ActiveRow run={r} isCurrent={r.run_id === openId} key={r.run_id} />)}
    </section>
  );
}

/** One live run; amber while it waits for the operator, and the link lands where the dialog opens. */
function ActiveRow({ run, isCurrent }: { run: ActiveRun; isCurrent: boolean }) {
  const waiting = run.prompts_waiting;
  return (
    <Link href={`/live/${encodeURIComponent(run.run_id)}`} class="active-run" data-current={isCurrent} data-waiting={waiting > 0} data-testid="active-run">
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
