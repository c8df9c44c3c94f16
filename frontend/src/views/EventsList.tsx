// The Events tab: every record in order, windowed (only visible rows exist in the DOM).
// It follows the tail until the user scrolls up; then new rows are counted in an "N new" pill.
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Event } from "../protocol";
import { describeResolution, promptName, type PromptEntry } from "../prompts";
import type { Timeline, TimelineEntry } from "../state";
import { clock, duration, measurementText, stepName } from "./format";

const ROW = 24;
const OVERSCAN = 12;

export function EventsList({ timeline, prompts }: { timeline: Timeline; prompts: PromptEntry[] }) {
  const box = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 400 });
  const follow = useRef({ isFollowing: true, seen: 0 });
  const count = timeline.length;

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    if (follow.current.isFollowing) {
      el.scrollTop = el.scrollHeight;
      follow.current.seen = count;
    }
    setView({ top: el.scrollTop, height: el.clientHeight });
  }, [count]);

  const onScroll = () => {
    const el = box.current!;
    const isAtBottom = el.scrollTop + el.clientHeight >= el.scrollHeight - ROW / 2;
    follow.current = { isFollowing: isAtBottom, seen: isAtBottom ? count : follow.current.seen };
    setView({ top: el.scrollTop, height: el.clientHeight });
  };
  const jumpToEnd = () => {
    follow.current = { isFollowing: true, seen: count };
    box.current!.scrollTop = box.current!.scrollHeight;
  };

  const first = Math.max(0, Math.floor(view.top / ROW) - OVERSCAN);
  const last = Math.min(count, Math.ceil((view.top + view.height) / ROW) + OVERSCAN);
  const rows: preact.JSX.Element[] = [];
  for (let i = first; i < last; i++) rows.push(<Row entry={timeline.items[i]!} prompts={prompts} key={i + timeline.dropped} />);
  const unseen = follow.current.isFollowing ? 0 : count - follow.current.seen;

  return (
    <div class="events-wrap">
      <div class="events" ref={box} onScroll={onScroll} data-testid="events">
        {count === 0 && <p class="empty">Waiting for events…</p>}
        <div class="events-space" style={{ height: `${count * ROW}px` }}>
          <div class="events-rows" style={{ transform: `translateY(${first * ROW}px)` }}>{rows}</div>
        </div>
      </div>
      {unseen > 0 && (
        <button class="new-pill" onClick={jumpToEnd} data-testid="new-events">{unseen} new ↓</button>
      )}
    </div>
  );
}

function Row({ entry, prompts }: { entry: TimelineEntry; prompts: PromptEntry[] }) {
  const { kind, text, tone } = describe(entry, prompts);
  return (
    <div class="event" data-kind={kind} data-tone={tone}>
      <span class="event-seq">{entry.seq}</span>
      <span class="event-time">{clock(entry.ts)}</span>
      <span class="event-kind">{kind.replace("_", " ")}</span>
      <span class="event-text" title={text}>{text}</span>
    </div>
  );
}

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
