// What a screen must hold to at any width: nothing wider than the viewport unless it sits in
// one of the boxes made to scroll sideways (tables, the event list, the output, the tab bar),
// labels shown whole, and on touch-sized screens every control at least 44 px tall.
import type { Page } from "@playwright/test";

/** The boxes that scroll inside themselves; everything else must fit. */
const SIDEWAYS = ".table-card, .scroll-x, .events, .output, .tab-bar";

/** A line for each element that sticks out of the viewport (or a box that scrolls sideways when it should not). */
export function overflowing(page: Page): Promise<string[]> {
  return page.evaluate((sideways) => {
    const width = document.documentElement.clientWidth;
    const name = (el: Element) => `${el.tagName.toLowerCase()}${el.className && typeof el.className === "string" ? `.${el.className.split(" ").join(".")}` : ""}`;
    const found: string[] = [];
    if (document.documentElement.scrollWidth > width) found.push(`the document is ${document.documentElement.scrollWidth} px wide in a ${width} px viewport`);
    for (const el of document.querySelectorAll<HTMLElement>("body *")) {
      if (el.closest(sideways) && !el.matches(sideways)) continue;
      const style = getComputedStyle(el);
      if (style.overflowX !== "visible" && !el.matches(sideways) && el.scrollWidth > el.clientWidth + 1) {
        found.push(`${name(el)} scrolls sideways: ${el.scrollWidth} px of content in ${el.clientWidth} px`);
      }
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0 && (r.right > width + 0.5 || r.left < -0.5)) found.push(`${name(el)} spans ${Math.round(r.left)}..${Math.round(r.right)} px of ${width}`);
    }
    return found.slice(0, 12);
  }, SIDEWAYS);
}

/** Visible controls under 44 px tall (a checkbox or radio counts as its label). */
export function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    const controls = document.querySelectorAll<HTMLElement>("button, a, select, input, [role=tab]");
    for (const el of controls) {
      const target = el instanceof HTMLInputElement && (el.type === "checkbox" || el.type === "radio") ? el.closest("label") ?? el : el;
      const r = target.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || getComputedStyle(target).visibility === "hidden") continue;
      if (r.height < 43.5 || r.width < 43.5) found.push(`${target.tagName.toLowerCase()} "${(target.textContent ?? "").trim().slice(0, 30)}" is ${Math.round(r.width)}x${Math.round(r.height)}`);
    }
    return found.slice(0, 12);
  });
}

/** Labels that must show whole at any width: each Events row's time and kind, and the tabs (a line for each one cut). */
export function clippedLabels(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    // A row is one line of text that its own box clips: a label is cut when it ends past the
    // row's content edge, or (the kind, a box of fixed width) when its text outgrows that box.
    for (const el of document.querySelectorAll<HTMLElement>(".event .event-time, .event .event-kind")) {
      const row = el.closest<HTMLElement>(".event")!;
      const edge = row.getBoundingClientRect().right - parseFloat(getComputedStyle(row).paddingRight);
      const end = el.getBoundingClientRect().right;
      if (end > edge + 0.5) found.push(`"${el.textContent}" ends ${Math.round(end - edge)} px past its row`);
      else if (el.scrollWidth > el.clientWidth + 0.5 && el.clientWidth > 0) found.push(`"${el.textContent}" is cut to ${el.clientWidth} px of ${el.scrollWidth}`);
    }
    const tabs = document.querySelector<HTMLElement>(".tab-bar");
    if (tabs && tabs.scrollWidth > tabs.clientWidth + 0.5) found.push(`the tabs need ${tabs.scrollWidth} px of ${tabs.clientWidth}`);
    return found.slice(0, 12);
  });
}

/** True when some toast covers part of the element. */
export function isCoveredByToast(page: Page, selector: string): Promise<boolean> {
  return page.evaluate((sel) => {
    const target = document.querySelector(sel)?.getBoundingClientRect();
    if (!target) return false;
    return [...document.querySelectorAll(".toast, .toast-more")].some((t) => {
      const r = t.getBoundingClientRect();
      return r.left < target.right && r.right > target.left && r.top < target.bottom && r.bottom > target.top;
    });
  }, selector);
}
