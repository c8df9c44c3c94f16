// Which rows of the Events tab a filter keeps: by kind (failures, steps, prompts, measurements,
// output) and by a search text, matched against the text the row shows. The timeline only
// grows, so the matches are extended from where the last frame stopped, never recomputed.
import { useRef } from "preact/hooks";
import type { PromptEntry } from "../prompts";
import type { Timeline, TimelineEntry } from "../state";
import { describe } from "./eventText";

export const SHOWS = ["all", "failures", "steps", "prompts", "measurements", "output"] as const;
export type Show = (typeof SHOWS)[number];

const FAILING = new Set(["failed", "error", "fail"]);

export function isFailure(entry: TimelineEntry, prompts: PromptEntry[]): boolean {
  return FAILING.has(describe(entry, prompts).tone ?? "");
}

const KEEPS: Record<Show, (kind: string, tone: string) => boolean> = {
  all: () => true,
  failures: (_, tone) => FAILING.has(tone),
  steps: (kind) => kind.startsWith("step_"),
  prompts: (kind) => kind.startsWith("prompt"),
  measurements: (kind) => kind === "measurement",
  output: (kind) => kind === "output",
};

function isShown(entry: TimelineEntry, prompts: PromptEntry[], show: Show, needle: string): boolean {
  const { kind, text, tone } = describe(entry, prompts);
  return KEEPS[show](kind, tone ?? "") && (needle === "" || text.toLowerCase().includes(needle) || kind.includes(needle));
}

interface Cache {
  key: string;
  items: TimelineEntry[] | null;
  scanned: number;
  matches: number[];
}

/** Timeline indices the filter keeps, in order; null when nothing is filtered (every row shows). */
export function useMatches(timeline: Timeline, prompts: PromptEntry[], show: Show, query: string): number[] | null {
  const cache = useRef<Cache>({ key: "", items: null, scanned: 0, matches: [] });
  const needle = query.trim().toLowerCase();
  if (show === "all" && needle === "") return null;
  const key = `${show}\u0000${needle}`;
  let c = cache.current;
  if (c.key !== key || c.items !== timeline.items || c.scanned > timeline.length) {
    c = cache.current = { key, items: timeline.items, scanned: 0, matches: [] };
  }
  for (; c.scanned < timeline.length; c.scanned++) {
    if (isShown(timeline.items[c.scanned]!, prompts, show, needle)) c.matches.push(c.scanned);
  }
  return c.matches;
}
