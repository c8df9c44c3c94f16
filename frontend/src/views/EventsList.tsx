// The Events tab: every record in order, windowed (only visible rows exist in the DOM), with a
// filter by kind, a search box and "Jump to first failure". It follows the tail until the user
// scrolls up (or jumps); then new rows are counted in an "N new" pill.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { PromptEntry } from "../prompts";
import type { Timeline } from "../state";
import { isFailure, SHOWS, useMatches, type Show } from "./eventFilter";
import { useBoxHeight } from "./boxHeight";
import { showTitle, writeRows, type RowAt } from "./eventRows";

const ROW = 24;
/** Rows kept beyond the visible ones for smooth scrolling; while following the tail only a few (each re-renders every frame). */
const OVERSCAN = 12;
const OVERSCAN_FOLLOWING = 2;

export function EventsList({ timeline, prompts }: { timeline: Timeline; prompts: PromptEntry[] }) {
  const [show, setShow] = useState<Show>("all");
  const [query, setQuery] = useState("");
  const [jump, setJump] = useState({ asked: 0, isFound: true });
  const matches = useMatches(timeline, prompts, show, query);
  const view = { timeline, prompts, matches };
  const onJumped = (isFound: boolean) => setJump((j) => ({ ...j, isFound }));
  return (
    <div class="events-tab">
      <div class="events-tools">
        <label class="events-show">
          <span class="label">Show</span>
          <select value={show} onChange={(ev) => setShow(ev.currentTarget.value as Show)} data-testid="events-show">
            {SHOWS.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <input type="search" class="events-search" placeholder="Search events" aria-label="Search events" value={query}
          onInput={(ev) => setQuery(ev.currentTarget.value)} data-testid="events-search" />
        {matches && <span class="subtle" data-testid="events-matches">{matches.length.toLocaleString("en")} shown</span>}
        <button type="button" class="small jump-failure" onClick={() => setJump({ asked: jump.asked + 1, isFound: true })} data-testid="jump-failure">
          Jump to first failure
        </button>
        {!jump.isFound && <span class="subtle" data-testid="no-failure">No failure so far</span>}
      </div>
      <WindowedRows key={`${show}\u0000${query}`} view={view} jumpAsked={jump.asked} onJumped={onJumped} />
    </div>
  );
}

/** The rows the Events tab lists: position i is timeline.items[matches[i]], or [i] when unfiltered. */
interface RowsView {
  timeline: Timeline;
  prompts: PromptEntry[];
  matches: number[] | null;
}

interface WindowProps {
  view: RowsView;
  /** Counts the operator's "Jump to first failure" clicks: each new count jumps. */
  jumpAsked: number;
  onJumped: (isFound: boolean) => void;
}

function WindowedRows({ view, jumpAsked, onJumped }: WindowProps) {
  const box = useRef<HTMLDivElement>(null);
  const pool = useRef<HTMLDivElement>(null);
  const height = useBoxHeight(box, 400);
  const [isFollowing, setFollowing] = useState(true);
  const [scrolledTo, setScrolledTo] = useState(0);
  const [marked, setMarked] = useState<number | null>(null);
  const seen = useRef(0);
  const count = view.matches?.length ?? view.timeline.length;
  // Computed, never read back from the DOM while following: reading scrollTop/scrollHeight after a render forces a layout.
  const end = Math.max(0, count * ROW - height);
  const top = isFollowing ? end : Math.min(scrolledTo, end);
  if (isFollowing) seen.current = count;

  // Always the same number of rows (all of them when fewer), so the pool neither grows nor shrinks as it moves.
  const overscan = isFollowing ? OVERSCAN_FOLLOWING : OVERSCAN;
  const slots = Math.ceil(height / ROW) + 2 * overscan + 1;
  const last = Math.min(count, Math.max(0, Math.floor(top / ROW) - overscan) + slots);
  const first = Math.max(0, last - slots);
  const unseen = isFollowing ? 0 : count - seen.current;

  useLayoutEffect(() => writeRows(pool.current!, first, ROW, rowsOf(view, first, last, marked), view.prompts));
  useLayoutEffect(() => {
    const el = box.current!;
    if (isFollowing) el.scrollTop = end;
    else if (Math.abs(el.scrollTop - top) > ROW) el.scrollTop = top; // a jump, not the user's own scroll
  }, [isFollowing, end, marked, scrolledTo]);

  const onScroll = () => {
    const at = box.current!.scrollTop;
    const isAtBottom = at >= end - ROW / 2;
    if (isAtBottom !== isFollowing) setFollowing(isAtBottom);
    if (!isAtBottom) setScrolledTo(at);
  };
  useEffect(() => {
    if (jumpAsked === 0) return;
    const at = firstFailure(view);
    setMarked(at);
    onJumped(at !== null);
    if (at === null) return;
    setFollowing(false);
    setScrolledTo(Math.max(0, at * ROW - height / 3));
  }, [jumpAsked]);

  return (
    <div class="events-wrap">
      <div class="events" ref={box} onScroll={onScroll} data-testid="events">
        {count === 0 && <p class="empty">{view.matches ? "No event matches" : "Waiting for events…"}</p>}
        <div class="events-space" style={{ height: `${count * ROW}px` }} />
        <div class="events-rows" ref={pool} onPointerOver={showTitle} />
      </div>
      {unseen > 0 && (
        <button class="new-pill" onClick={() => setFollowing(true)} data-testid="new-events">{unseen} new ↓</button>
      )}
    </div>
  );
}

/** The position of the first failing row in view, or null. */
function firstFailure({ timeline, prompts, matches }: RowsView): number | null {
  const count = matches?.length ?? timeline.length;
  for (let at = 0; at < count; at++) {
    if (isFailure(timeline.items[matches ? matches[at]! : at]!, prompts)) return at;
  }
  return null;
}

/** Rows [first, last) of the list, in order. */
function rowsOf({ timeline, matches }: RowsView, first: number, last: number, marked: number | null): RowAt[] {
  const rows: RowAt[] = [];
  for (let i = first; i < last; i++) rows.push({ entry: timeline.items[matches ? matches[i]! : i]!, isMarked: i === marked });
  return rows;
}
