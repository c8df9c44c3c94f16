// The Output tab: the last lines the run printed, stderr marked, and a link to the whole log.
// It follows the end until the user scrolls up: when lines arrive, and when its box changes
// size (the verdict banner appearing below shrinks it), the last line stays in view.
import { useLayoutEffect, useRef } from "preact/hooks";
import { outputUrl } from "../api";
import type { OutputLine } from "../state";

export function OutputTail({ runId, lines }: { runId: string; lines: OutputLine[] }) {
  const box = useRef<HTMLDivElement>(null);
  const isFollowing = useRef(true);
  const toEnd = () => {
    const el = box.current;
    if (el && isFollowing.current) el.scrollTop = el.scrollHeight;
  };
  useLayoutEffect(toEnd, [lines]);
  useLayoutEffect(() => {
    const observer = new ResizeObserver(toEnd);
    observer.observe(box.current!);
    return () => observer.disconnect();
  }, []);
  const onScroll = () => {
    const el = box.current!;
    isFollowing.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 4;
  };
  return (
    <div class="output-wrap">
      <div class="output-bar">
        <span class="subtle">The last {lines.length} lines</span>
        <a class="button small" href={outputUrl(runId)} target="_blank" rel="noopener" data-testid="full-log">Full output log</a>
      </div>
      <div class="output" ref={box} onScroll={onScroll} data-testid="output">
        {lines.length === 0 && <div class="output-empty">No output yet</div>}
        {lines.map((l) => (
          <div class="output-line" data-stream={l.stream} key={l.seq}>
            <span class="output-stream">{l.stream === "stderr" ? "ERR" : ""}</span>
            <span class="output-text">{l.line || " "}</span>
          </div>
        ))}
      </div>
    </div>
  );
}
