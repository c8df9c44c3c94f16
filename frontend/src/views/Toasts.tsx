// Toasts at the bottom of the page: the newest few, a repeat counted rather than stacked. The
// stack's height is published as --toasts-height so the page leaves room for it: a toast never
// covers the live page's footer or anything else. On a narrow screen, where the page scrolls
// under them, only the newest is shown, so they never stack over half of it.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { dismiss, dismissAll, toasts } from "../store";
import { SHOWN_TOASTS, SHOWN_TOASTS_NARROW } from "../toasts";

/** The widths the stylesheet lays out for a narrow screen (the sidebar a top bar). */
const NARROW = "(max-width: 899px)";

export function Toasts() {
  const box = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const el = box.current!;
    const publish = () => document.documentElement.style.setProperty("--toasts-height", `${el.offsetHeight}px`);
    const observer = new ResizeObserver(publish);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const shown = useShownCount();
  const all = toasts.value;
  const hidden = all.length - shown;
  return (
    <div class="toasts" role="status" aria-live="polite" ref={box} data-testid="toasts">
      {hidden > 0 && (
        <div class="toast-more">
          <span>{hidden} older {hidden === 1 ? "message" : "messages"}</span>
          <button type="button" class="ghost small" onClick={dismissAll}>Dismiss all</button>
        </div>
      )}
      {all.slice(-shown).map((t) => (
        <div class="toast" data-tone={t.tone} key={t.id}>
          <div class="toast-body">
            <strong class="toast-title">{t.title}{t.times > 1 && <span class="toast-times"> ×{t.times}</span>}</strong>
            <span class="toast-message">{t.message}</span>
          </div>
          <button class="toast-close" aria-label="Dismiss" onClick={() => dismiss(t.id)}>×</button>
        </div>
      ))}
    </div>
  );
}

function useShownCount(): number {
  const [isNarrow, setNarrow] = useState(() => matchMedia(NARROW).matches);
  useEffect(() => {
    const query = matchMedia(NARROW);
    const onChange = () => setNarrow(query.matches);
    query.addEventListener("change", onChange);
    return () => query.removeEventListener("change", onChange);
  }, []);
  return isNarrow ? SHOWN_TOASTS_NARROW : SHOWN_TOASTS;
}
