// The client height of a scroll box, for the views that window their rows by it.
import type { RefObject } from "preact";
import { useLayoutEffect, useState } from "preact/hooks";

/** The box's client height, measured on mount and on resize only (not every frame); `initial` until then. */
export function useBoxHeight(box: RefObject<HTMLElement | null>, initial: number): number {
  const [height, setHeight] = useState(initial);
  useLayoutEffect(() => {
    const el = box.current!;
    setHeight(el.clientHeight);
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, [box]);
  return height;
}
