// Toasts at the bottom of the page: the newest few, a repeat counted rather than stacked. The
// stack's height is published as --toasts-height so the page leaves room for it: a toast never
// covers the live page's footer or anything else.
import { useLayoutEffect, useRef } from "preact/hooks";
import { dismiss, dismissAll, toasts } from "../store";
import { SHOWN_TOASTS } from "../toasts";

export function Toasts() {
  const box = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const el = box.current!;
    const publish = () => document.documentElement.style.setProperty("--toasts-height", `${el.offsetHeight}px`);
    const observer = new ResizeObserver(publish);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const all = toasts.value;
  const hidden = all.length - SHOWN_TOASTS;
  return (
    <div class="toasts" role="status" aria-live="polite" ref={box} data-testid="toasts">
      {hidden > 0 && (
        <div class="toast-more">
          <span>{hidden} older {hidden === 1 ? "message" : "messages"}</span>
          <button type="button" class="ghost small" onClick={dismissAll}>Dismiss all</button>
        </div>
      )}
      {all.slice(-SHOWN_TOASTS).map((t) => (
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
