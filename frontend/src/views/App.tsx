// The page frame: sidebar (a top bar on narrow screens), the routed page, and toasts. It keeps
// the tab title current and calls the operator (alerts.ts) when the waiting count goes up.
import { useEffect, useRef } from "preact/hooks";
import { promptOpened, promptsCleared, setTitle } from "../alerts";
import { route, type Route } from "../route";
import { me } from "../session";
import { promptsWaiting } from "../store";
import { LaunchPage } from "./LaunchPage";
import { LivePage } from "./LivePage";
import { OutageBanner } from "./OutageBanner";
import { PeoplePage } from "./PeoplePage";
import { ResultDetailPage } from "./ResultDetailPage";
import { ResultsPage } from "./ResultsPage";
import { Sidebar } from "./Sidebar";
import { SignInPage } from "./SignInPage";
import { Toasts } from "./Toasts";

const TITLES: Record<Route["page"], string> = {
  launch: "Launch Test",
  live: "Live",
  results: "Results",
  result: "Result",
  people: "People",
  bad_address: "Not a run address",
  missing: "Not found",
};

export function App() {
  const page = route.value.page;
  const waiting = promptsWaiting.value;
  const before = useRef(waiting);
  useEffect(() => setTitle(`${waiting > 0 ? `(${waiting}) ` : ""}Litmus Live — ${TITLES[page]}`), [page, waiting]);
  useEffect(() => {
    if (waiting > before.current) promptOpened(`${waiting} dialog(s) waiting`);
    else if (waiting === 0) promptsCleared();
    before.current = waiting;
  }, [waiting]);
  if (me.value === null) return <SignInPage />;
  if (me.value === undefined) return null;
  return (
    <div class="shell">
      <Sidebar />
      <main class="page">
        <OutageBanner />
        <Page />
      </main>
      <Toasts />
    </div>
  );
}

function Page() {
  const r = route.value;
  switch (r.page) {
    case "launch":
      return <LaunchPage query={r.query} />;
    case "live":
      return <LivePage key={r.runId} runId={r.runId} />;
    case "results":
      return <ResultsPage />;
    case "result":
      return <ResultDetailPage key={r.runId} runId={r.runId} />;
    case "people":
      return <PeoplePage />;
    case "bad_address":
      return (
        <section class="notice" data-tone="error" data-testid="bad-address">
          <h1>This address does not name a run</h1>
          <p>{r.reason}.</p>
          <p>Nothing was asked of the server. <a href="/results">Browse results</a> · <a href="/launch">Launch a test</a></p>
        </section>
      );
    case "missing":
      return (
        <section class="notice" data-tone="error">
          <h1>Page not found</h1>
          <p>Nothing lives at <code class="wrap">{r.path}</code>.</p>
        </section>
      );
  }
}
