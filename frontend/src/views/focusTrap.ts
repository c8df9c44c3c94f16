// Keeps focus inside a modal dialog: it starts on the dialog itself, comes back whenever it
// wanders outside, and the guard elements on either side send Tab round to the other end.
import { useEffect } from "preact/hooks";

const FOCUSABLE = "button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

export function useFocusTrap(box: { current: HTMLElement | null }): void {
  useEffect(() => {
    const el = box.current!;
    el.focus();
    const onFocusIn = (ev: FocusEvent) => {
      const target = ev.target as HTMLElement;
      if (target.hasAttribute?.("data-focus-guard")) focusEdge(el, isBefore(target, el) ? "last" : "first");
      else if (!el.contains(target)) el.focus();
    };
    document.addEventListener("focusin", onFocusIn);
    return () => document.removeEventListener("focusin", onFocusIn);
  }, []);
}

function isBefore(node: Node, other: Node): boolean {
  return (node.compareDocumentPosition(other) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
}

/** A radio group counts as its checked radio. */
function focusEdge(box: HTMLElement, edge: "first" | "last"): void {
  const items = [...box.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((item) => !item.closest("fieldset:disabled"));
  const item = edge === "first" ? items[0] : items.at(-1);
  if (item instanceof HTMLInputElement && item.type === "radio") {
    (box.querySelector<HTMLElement>("input[type=radio]:checked") ?? item).focus();
  } else (item ?? box).focus();
}
