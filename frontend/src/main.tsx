// Entry point: starts routing and the active-runs feed, then renders the app.
import { render } from "preact";
import "./style.css";
import { startRouting } from "./route";
import { followActiveRuns } from "./store";
import { App } from "./views/App";

startRouting();
followActiveRuns();
render(<App />, document.getElementById("app")!);
