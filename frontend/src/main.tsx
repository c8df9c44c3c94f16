// Entry point: starts routing, asks who is signed in, then follows the active-runs feed.
import { render } from "preact";
import "./style.css";
import { startRouting } from "./route";
import { loadMe } from "./session";
import { followActiveRuns } from "./store";
import { App } from "./views/App";

startRouting();
void loadMe().then((who) => who && followActiveRuns());
render(<App />, document.getElementById("app")!);
