// Half-typed answers to open prompts, by prompt id, kept in sessionStorage: a re-render, a
// reconnect or a reload of the tab shows the operator what they had typed, never the default.
const PREFIX = "litmus-live.draft.";

export function draftOf(promptId: string): string | null {
  try {
    return sessionStorage.getItem(PREFIX + promptId);
  } catch {
    return null; // storage disabled: the dialog's own state is all there is
  }
}

export function keepDraft(promptId: string, value: string): void {
  try {
    sessionStorage.setItem(PREFIX + promptId, value);
  } catch {
    // storage disabled: the dialog's own state is all there is
  }
}

export function dropDraft(promptId: string): void {
  try {
    sessionStorage.removeItem(PREFIX + promptId);
  } catch {
    // storage disabled: nothing was kept
  }
}
