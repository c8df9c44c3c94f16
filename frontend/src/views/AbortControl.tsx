// Abort with a confirmation step: on the status card, and inside the prompt dialog (a prompt's
// backdrop covers the card). Escape inside the confirmation goes back without aborting.
import { useEffect, useRef, useState } from "preact/hooks";
import { abort } from "../store";

export function AbortControl({ runId, label = "Abort" }: { runId: string; label?: string }) {
  const [isConfirming, setConfirming] = useState(false);
  const keep = useRef<HTMLButtonElement>(null);
  useEffect(() => keep.current?.focus(), [isConfirming]); // the safe choice takes focus, so a stray Enter keeps the run
  if (!isConfirming) return <button type="button" class="danger" onClick={() => setConfirming(true)}>{label}</button>;
  const onKeyDown = (ev: KeyboardEvent) => {
    if (ev.key !== "Escape") return;
    ev.stopPropagation();
    setConfirming(false);
  };
  return (
    <span class="confirm" role="group" aria-label="Confirm abort" onKeyDown={onKeyDown} data-testid="abort-confirm">
      <span>Abort this run?</span>
      <button type="button" class="danger" onClick={() => { setConfirming(false); void abort(runId); }}>Abort run</button>
      <button type="button" class="ghost" ref={keep} onClick={() => setConfirming(false)}>Keep running</button>
    </span>
  );
}
