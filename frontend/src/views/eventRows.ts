// The Events tab's rows: a fixed pool of row elements that the list writes into directly, not
// through the virtual DOM. While the tail is followed at 1,000 lines/s every visible row shows a
// new record at each redraw, so what a row costs to lay out is what a redraw costs:
// - the pool moves as a whole (one transform); row k sits k rows below its top for good, so a
//   redraw restyles no row, it only changes texts;
// - a row is one line of inline text (seq, time, kind, text), a single inline formatting context
//   laid out once, not one per cell; seq and time are monospace and padded to fixed widths, so
//   the columns line up without a box of their own, and the kind (whose text rarely changes) is
//   the only box of fixed width;
// - the full text of a row is its tooltip, set when the pointer comes over it, not at every redraw.
import type { PromptEntry } from "../prompts";
import type { TimelineEntry } from "../state";
import { describe } from "./eventText";
import { clock } from "./format";

/** What one row of the pool shows: a record, and whether "Jump to first failure" marked it. */
export interface RowAt {
  entry: TimelineEntry;
  isMarked: boolean;
}

interface Shown extends RowAt {
  prompts: PromptEntry[];
}

const CELLS = ["event-seq", "event-time", "event-kind", "event-text"] as const;
/** Seqs up to this many digits line up; a longer one pushes its own row's columns right. */
const SEQ_DIGITS = 7;
/** What each row element shows now, so that a redraw skips the rows whose record did not change. */
const shown = new WeakMap<Element, Shown>();

/**
 * Makes `pool`'s children `rows`, the consecutive records from position `first` of the list,
 * with the pool placed `first * rowHeight` down the list.
 */
export function writeRows(pool: HTMLElement, first: number, rowHeight: number, rows: RowAt[], prompts: PromptEntry[]): void {
  const top = `translateY(${first * rowHeight}px)`;
  if (pool.style.transform !== top) pool.style.transform = top;
  while (pool.children.length > rows.length) pool.lastElementChild!.remove();
  while (pool.children.length < rows.length) pool.append(newRow(pool.children.length * rowHeight));
  rows.forEach((row, k) => write(pool.children[k] as HTMLElement, { ...row, prompts }));
}

/** A row's full text as its tooltip, when the pointer comes over it (`pool`'s pointerover). */
export function showTitle(ev: Event): void {
  const row = (ev.target as Element).closest<HTMLElement>(".event");
  const text = row?.lastElementChild?.textContent;
  if (row && text != null && row.title !== text) row.title = text;
}

function newRow(top: number): HTMLElement {
  const el = document.createElement("div");
  el.className = "event";
  el.style.transform = `translateY(${top}px)`;
  for (const name of CELLS) {
    const cell = el.appendChild(document.createElement("span"));
    cell.className = name;
    cell.append(document.createTextNode(""));
  }
  return el;
}

function write(el: HTMLElement, row: Shown): void {
  const before = shown.get(el);
  if (before?.isMarked !== row.isMarked) el.toggleAttribute("data-marked", row.isMarked);
  if (before?.entry !== row.entry || before.prompts !== row.prompts) fill(el, row);
  shown.set(el, row);
}

function fill(el: HTMLElement, { entry, prompts }: Shown): void {
  const { kind, text, tone } = describe(entry, prompts);
  setData(el, "kind", kind);
  setData(el, "tone", tone);
  const cells = el.children;
  setText(cells[0]!, String(entry.seq).padStart(SEQ_DIGITS));
  setText(cells[1]!, clock(entry.ts));
  setText(cells[2]!, kind.replace("_", " "));
  setText(cells[3]!, text);
  if (el.title !== "") el.removeAttribute("title"); // set again from the new text when pointed at
}

function setText(cell: Element, value: string): void {
  const node = cell.firstChild as Text;
  if (node.data !== value) node.data = value;
}

function setData(el: HTMLElement, name: string, value: string | undefined): void {
  if (value === undefined) delete el.dataset[name];
  else if (el.dataset[name] !== value) el.dataset[name] = value;
}
