// Which rows of a long list of fixed-height rows a scroll box shows: only those (and a few
// beyond, for smooth scrolling) exist in the DOM, between spacers that keep the full height.

/** Rows [first, last) of `count`, for a box `height` px tall scrolled to `scrollTop`. */
export interface RowWindow {
  first: number;
  last: number;
}

export function rowWindow(count: number, scrollTop: number, height: number, rowHeight: number, overscan: number): RowWindow {
  const top = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const first = Math.min(top, Math.max(0, count - 1));
  const last = Math.min(count, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  return { first: Math.min(first, last), last };
}
