// Client-side routes over the History API: the current location as a signal, and navigate().
// An address that does not decode, or names a run id the protocol cannot carry, is a route of
// its own ("bad_address") with the reason in words: the page says so and nothing is subscribed.
import { signal } from "@preact/signals";

export type Route =
  | { page: "launch"; query: URLSearchParams }
  | { page: "live"; runId: string }
  | { page: "results" }
  | { page: "people" }
  | { page: "result"; runId: string }
  | { page: "bad_address"; path: string; reason: string }
  | { page: "missing"; path: string };

/** The protocol's bound on a run id (PROTOCOL.md: RunId, 1 to 64 characters). */
export const MAX_RUN_ID = 64;

/** Pages whose address is one segment and carries nothing else. */
const SINGLE: Record<string, Route> = { results: { page: "results" }, people: { page: "people" } };

function singlePage(segment: string): Route | undefined {
  return Object.hasOwn(SINGLE, segment) ? SINGLE[segment] : undefined;
}

export function parse(pathname: string, search: string): Route {
  const raw = pathname.split("/").filter(Boolean);
  const decodedParts = raw.map(decoded);
  const bad = raw.find((_, i) => decodedParts[i] === null);
  if (bad !== undefined) return { page: "bad_address", path: pathname, reason: `'${bad}' is not valid percent-encoding (a '%' must be followed by two hex digits of UTF-8)` };
  const parts = decodedParts as string[];
  const [first, second] = parts;
  if (parts.length === 0 || (first === "launch" && parts.length === 1)) return { page: "launch", query: new URLSearchParams(search) };
  if ((first === "live" || first === "results") && second && parts.length === 2) return runRoute(first, second, pathname);
  const single = parts.length === 1 ? singlePage(first!) : undefined;
  if (single) return single;
  return { page: "missing", path: pathname };
}

function runRoute(first: "live" | "results", runId: string, pathname: string): Route {
  if (runId.length > MAX_RUN_ID) {
    const reason = `a run id has at most ${MAX_RUN_ID} characters, this one has ${runId.length.toLocaleString("en")}`;
    return { page: "bad_address", path: pathname, reason };
  }
  return first === "live" ? { page: "live", runId } : { page: "result", runId };
}

/** The decoded path segment, or null when its percent-encoding is broken. */
function decoded(part: string): string | null {
  try {
    return decodeURIComponent(part);
  } catch (err) {
    if (err instanceof URIError) return null;
    throw err;
  }
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
