// The Events tab: every record in order, windowed (only visible rows exist in the DOM).
// It follows the tail until the user scrolls up; then new rows are counted in an "N new" pill.
import type { RefObject } from "preact";
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Event } from "../protocol";
import { describeResolution, promptName, type PromptEntry } from "../prompts";
import type { Timeline, TimelineEntry } from "../state";
import { clock, duration, measurementText, stepName } from "./format";
import { pure } from "./pure";

const ROW = 24;
const OVERSCAN = 12;

export function EventsList({ timeline, prompts }: { timeline: Timeline; prompts: PromptEntry[] }) {
  const box = useRef<HTMLDivElement>(null);
  const height = useHeight(box);
  const [isFollowing, setFollowing] = useState(true);
  const [scrolledTo, setScrolledTo] = useState(0);
  const seen = useRef(0);
  const count = timeline.length;
  // Computed, never read back from the DOM: reading scrollTop/scrollHeight after a render forces a layout.
  const end = Math.max(0, count * ROW - height);
  const top = isFollowing ? end : Math.min(scrolledTo, end);
  if (isFollowing) seen.current = count;

  useLayoutEffect(() => {
    if (isFollowing) box.current!.scrollTop = end;
  }, [isFollowing, end]);

  const onScroll = () => {
    const at = box.current!.scrollTop;
    const isAtBottom = at >= end - ROW / 2;
    if (isAtBottom !== isFollowing) setFollowing(isAtBottom);
    if (!isAtBottom) setScrolledTo(at);
  };
  const jumpToEnd = () => setFollowing(true);

  // Always the same number of rows (all of them when fewer), so every slot of the pool stays filled.
  const slots = Math.ceil(height / ROW) + 2 * OVERSCAN + 1;
  const last = Math.min(count, Math.max(0, Math.floor(top / ROW) - OVERSCAN) + slots);
  const first = Math.max(0, last - slots);
  const rows = recycledRows(timeline, prompts, first, last, slots);
  const unseen = isFollowing ? 0 : count - seen.current;

  return (
    <div class="events-wrap">
      <div class="events" ref={box} onScroll={onScroll} data-testid="events">
        {count === 0 && <p class="empty">Waiting for events…</p>}
        <div class="events-space" style={{ height: `${count * ROW}px` }} />
        <div class="events-rows">{rows}</div>
      </div>
      {unseen > 0 && (
        <button class="new-pill" onClick={jumpToEnd} data-testid="new-events">{unseen} new ↓</button>
      )}
    </div>
  );
}

/** The element's client height, measured on mount and on resize only (not every frame). */
function useHeight(box: RefObject<HTMLElement | null>): number {
  const [height, setHeight] = useState(400);
  useLayoutEffect(() => {
    const el = box.current!;
    setHeight(el.clientHeight);
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, [box]);
  return height;
}

/**
 * Rows [first, last) in a fixed pool of slots (row i in slot i % slots), emitted in slot order: as
 * the window moves, a slot's row only changes its text and offset, so following the tail at
 * 1,000 lines/s creates, moves and removes no elements and restyles none (each row is absolutely
 * placed and contained, so its new text lays out only itself).
 */
function recycledRows(timeline: Timeline, prompts: PromptEntry[], first: number, last: number, slots: number) {
  const rows: (preact.JSX.Element | null)[] = [];
  for (let slot = 0; slot < slots; slot++) {
    const i = first + ((((slot - first - timeline.dropped) % slots) + slots) % slots);
    rows.push(i < last ? <Row entry={timeline.items[i]!} prompts={prompts} top={i * ROW} key={slot} /> : null);
  }
  return rows;
}

const Row = pure(function Row({ entry, prompts, top }: { entry: TimelineEntry; prompts: PromptEntry[]; top: number }) {
  const { kind, text, tone } = describe(entry, prompts);
  return (
    <div class="event" data-kind={kind} data-tone={tone} style={{ transform: `translateY(${top}px)` }}>
      <span class="event-seq">{entry.seq}</span>
      <span class="event-time">{clock(entry.ts)}</span>
      <span class="event-kind">{kind.replace("_", " ")}</span>
      <span class="event-text" title={text}>{text}</span>
    </div>
  );
});

interface Described {
  kind: string;
  text: string;
  tone?: string;
}

function describe(entry: TimelineEntry, prompts: PromptEntry[]): Described {
  if (entry.type === "prompt") return { kind: "prompt", text: `Prompt '${entry.name}' (${entry.prompt_type}): ${entry.message}`, tone: "prompt" };
  if (entry.type === "complete") {
    const exit = entry.exit_code === null ? "" : ` (exit ${entry.exit_code})`;
    const text = [`${entry.status}${exit}`, entry.reason, duration(entry.duration)].filter(Boolean).join(" · ");
    return { kind: "complete", text, tone: entry.status.toLowerCase() };
  }
  return describeEvent(entry.data, prompts);
}

function describeEvent(data: Event["data"], prompts: PromptEntry[]): Described {
  switch (data.kind) {
    case "run_created":
      return { kind: data.kind, text: `${data.test_path} on UUT ${data.uut_serial}` };
    case "collected":
      return { kind: data.kind, text: `${data.count} steps: ${data.nodeids.map(stepName).join(", ")}` };
    case "step_started":
      return { kind: data.kind, text: stepName(data.nodeid), tone: "running" };
    case "step_finished": {
      const reason = data.reason ? ` — ${data.reason}` : "";
      return { kind: data.kind, text: `${data.outcome.toUpperCase()} ${stepName(data.nodeid)} · ${duration(data.duration)}${reason}`, tone: data.outcome };
    }
    case "output":
      return { kind: data.kind, text: data.line, tone: data.stream };
    case "prompt_resolved":
      return { kind: data.kind, text: describeResolution(data.name || promptName(prompts, data.prompt_id), data), tone: data.resolution };
    case "measurement":
      return { kind: data.kind, text: measurementText(data), tone: data.verdict.toLowerCase() };
    default: {
      const unknown: { kind: string } = data;
      return { kind: unknown.kind, text: "" };
    }
  }
}
