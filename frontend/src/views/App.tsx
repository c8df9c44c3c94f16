// The page frame: sidebar, the routed page, and toasts.
import { useEffect } from "preact/hooks";
import { route, type Route } from "../route";
import { promptsWaiting } from "../store";
import { LaunchPage } from "./LaunchPage";
import { LivePage } from "./LivePage";
import { ResultDetailPage } from "./ResultDetailPage";
import { ResultsPage } from "./ResultsPage";
import { Sidebar } from "./Sidebar";
import { Toasts } from "./Toasts";

const TITLES: Record<Route["page"], string> = {
  launch: "Launch Test",
  live: "Live",
  results: "Results",
  result: "Result",
  missing: "Not found",
};

export function App() {
  const page = route.value.page;
  const waiting = promptsWaiting.value;
  useEffect(() => {
    document.title = `${waiting > 0 ? `(${waiting}) ` : ""}Litmus Live — ${TITLES[page]}`;
  }, [page, waiting]);
  return (
    <div class="shell">
      <Sidebar />
      <main class="page">
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
    case "missing":
      return (
        <section class="notice" data-tone="error">
          <h1>Page not found</h1>
          <p>Nothing lives at <code>{r.path}</code>.</p>
        </section>
      );
  }
}
