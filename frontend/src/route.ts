// Client-side routes over the History API: the current location as a signal, and navigate().
import { signal } from "@preact/signals";

export type Route =
  | { page: "launch"; query: URLSearchParams }
  | { page: "live"; runId: string }
  | { page: "results" }
  | { page: "result"; runId: string }
  | { page: "missing"; path: string };

export function parse(pathname: string, search: string): Route {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const [first, second] = parts;
  if (parts.length === 0 || (first === "launch" && parts.length === 1)) return { page: "launch", query: new URLSearchParams(search) };
  if (first === "live" && second && parts.length === 2) return { page: "live", runId: second };
  if (first === "results" && parts.length === 1) return { page: "results" };
  if (first === "results" && second && parts.length === 2) return { page: "result", runId: second };
  return { page: "missing", path: pathname };
}

export const route = signal<Route>(parse(location.pathname, location.search));

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  route.value = parse(location.pathname, location.search);
  window.scrollTo(0, 0);
}

export function startRouting(): void {
  window.addEventListener("popstate", () => {
    route.value = parse(location.pathname, location.search);
  });
  if (location.pathname === "/") navigate(`/launch${location.search}`, { replace: true });
}
