// Toasts at the bottom of the screen; each stays until dismissed.
import { dismiss, toasts } from "../store";

export function Toasts() {
  return (
    <div class="toasts" role="status" aria-live="polite">
      {toasts.value.map((t) => (
        <div class="toast" data-tone={t.tone} key={t.id}>
          <div class="toast-body">
            <strong class="toast-title">{t.title}</strong>
            <span class="toast-message">{t.message}</span>
          </div>
          <button class="toast-close" aria-label="Dismiss" onClick={() => dismiss(t.id)}>×</button>
        </div>
      ))}
    </div>
  );
}
