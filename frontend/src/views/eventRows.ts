// The Events tab's rows: a fixed pool of row elements that the list writes into directly, not
// through the virtual DOM. While the tail is followed at 1,000 lines/s every visible row shows a
// new record at each redraw; writing only the texts and attributes that changed costs a fraction
// of building and diffing the vnodes of every row.
import type { PromptEntry } from "../prompts";
import type { TimelineEntry } from "../state";
import { describe } from "./eventText";
import { clock } from "./format";

/** What one slot of the pool shows: a record, at an offset from the top of the list. */
export interface RowAt {
  entry: TimelineEntry;
  top: number;
  isMarked: boolean;
}

interface Shown extends RowAt {
  prompts: PromptEntry[];
}

const CELLS = ["event-seq", "event-time", "event-kind", "event-text"] as const;
/** What each row element shows now, so that a redraw skips the rows whose record did not change. */
const shown = new WeakMap<Element, Shown>();

/** Makes `pool`'s children the rows, slot by slot (null: nothing to show in that slot). */
export function writeRows(pool: HTMLElement, rows: (RowAt | null)[], prompts: PromptEntry[]): void {
  let used = rows.length;
  while (used > 0 && rows[used - 1] === null) used--;
  while (pool.children.length > used) pool.lastElementChild!.remove();
  while (pool.children.length < used) pool.append(newRow());
  for (let slot = 0; slot < used; slot++) {
    const row = rows[slot] ?? null;
    const el = pool.children[slot] as HTMLElement;
    el.hidden = row === null;
    if (row !== null) write(el, { ...row, prompts });
  }
}

function newRow(): HTMLElement {
  const el = document.createElement("div");
  el.className = "event";
  for (const name of CELLS) {
    const cell = el.appendChild(document.createElement("span"));
    cell.className = name;
    cell.append(document.createTextNode(""));
  }
  return el;
}

function write(el: HTMLElement, row: Shown): void {
  const before = shown.get(el);
  if (before?.top !== row.top) el.style.transform = `translateY(${row.top}px)`;
  if (before?.isMarked !== row.isMarked) el.toggleAttribute("data-marked", row.isMarked);
  if (before?.entry !== row.entry || before.prompts !== row.prompts) fill(el, row);
  shown.set(el, row);
}

function fill(el: HTMLElement, { entry, prompts }: Shown): void {
  const { kind, text, tone } = describe(entry, prompts);
  setData(el, "kind", kind);
  setData(el, "tone", tone);
  const cells = el.children;
  setText(cells[0]!, String(entry.seq));
  setText(cells[1]!, clock(entry.ts));
  setText(cells[2]!, kind.replace("_", " "));
  setText(cells[3]!, text);
  if ((cells[3] as HTMLElement).title !== text) (cells[3] as HTMLElement).title = text;
}

function setText(cell: Element, value: string): void {
  const node = cell.firstChild as Text;
  if (node.data !== value) node.data = value;
}

function setData(el: HTMLElement, name: string, value: string | undefined): void {
  if (value === undefined) delete el.dataset[name];
  else if (el.dataset[name] !== value) el.dataset[name] = value;
}
