// Whether the server's store can commit, as this page last learned it. The server says when it
// cannot (an `error` store_unavailable on every connection) but not when it can again: the
// records arriving again say so, and so does GET /healthz answering 200 (PROTOCOL.md §2), which
// the page asks every few seconds while the fault lasts, so a page that watches no busy run
// learns it too.
import { signal } from "@preact/signals";

export const HEALTH_POLL_MS = 2000;

/** The server's words for why nothing can be saved; null while the store commits. */
export const outage = signal<string | null>(null);
let poll = 0;

export function outageBegan(reason: string): void {
  outage.value = reason;
  if (poll === 0) poll = window.setInterval(() => void askHealth(), HEALTH_POLL_MS);
}

/** Something was committed (a record arrived, /healthz said ok): the fault is over. */
export function outageEnded(): void {
  if (outage.value === null) return;
  outage.value = null;
  window.clearInterval(poll);
  poll = 0;
}

async function askHealth(): Promise<void> {
  try {
    const response = await fetch("/healthz", { headers: { accept: "application/json" } });
    if (response.ok) outageEnded();
  } catch {
    // the server is unreachable: the socket's own failure says so; keep asking
  }
}
