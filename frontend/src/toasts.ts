// Toasts: what failed or happened, shown at the bottom of the page. The same toast twice is one
// toast with a count (a flapping connection must not stack them); information goes away by
// itself, errors stay until dismissed.
import { signal } from "@preact/signals";

export interface Toast {
  id: number;
  tone: "error" | "info";
  title: string;
  message: string;
  /** How many times this same toast was raised. */
  times: number;
}

/** The page shows the newest few (one on a narrow screen, where each would cover a lot of it); the rest wait behind a "N older" line. */
export const SHOWN_TOASTS = 3;
export const SHOWN_TOASTS_NARROW = 1;
const INFO_TOAST_MS = 8000;

export const toasts = signal<Toast[]>([]);
let nextToastId = 1;

export function notify(tone: Toast["tone"], title: string, message: string): void {
  const same = toasts.value.find((t) => t.tone === tone && t.title === title && t.message === message);
  if (same) {
    toasts.value = toasts.value.map((t) => (t === same ? { ...t, times: t.times + 1 } : t));
    return;
  }
  const id = nextToastId++;
  toasts.value = [...toasts.value, { id, tone, title, message, times: 1 }];
  if (tone === "info") setTimeout(() => dismiss(id), INFO_TOAST_MS);
}

export function dismiss(id: number): void {
  toasts.value = toasts.value.filter((t) => t.id !== id);
}

export function dismissAll(): void {
  toasts.value = [];
}
