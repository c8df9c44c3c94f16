// The Output tab: the last lines the run printed, stderr marked, kept scrolled to the end.
import { useLayoutEffect, useRef } from "preact/hooks";
import type { OutputLine } from "../state";

export function OutputTail({ lines }: { lines: OutputLine[] }) {
  const box = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    if (box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines]);
  return (
    <div class="output" ref={box} data-testid="output">
      {lines.length === 0 && <div class="output-empty">No output yet</div>}
      {lines.map((l) => (
        <div class="output-line" data-stream={l.stream} key={l.seq}>
          <span class="output-stream">{l.stream === "stderr" ? "ERR" : ""}</span>
          <span class="output-text">{l.line || " "}</span>
        </div>
      ))}
    </div>
  );
}
