// The operator prompt dialog of the live page: the oldest open prompt of the run, one at a time
// ("1 of N"). Escape does not dismiss it and focus stays inside it until the prompt closes.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Prompt } from "../protocol";
import type { PromptEntry } from "../prompts";
import { answer, answerFeedback, operatorFor } from "../store";
import { stepName } from "./format";
import { PromptAnswer } from "./PromptAnswer";

export function PromptModal({ runId, open }: { runId: string; open: PromptEntry[] }) {
  const first = open[0];
  if (!first) return null;
  return <PromptDialog key={first.prompt.prompt_id} runId={runId} prompt={first.prompt} count={open.length} />;
}

interface DialogProps {
  runId: string;
  prompt: Prompt;
  count: number;
}

function PromptDialog({ runId, prompt, count }: DialogProps) {
  const box = useRef<HTMLDivElement>(null);
  const [value, setValue] = useState(prompt.default ?? "");
  const feedback = answerFeedback.value[prompt.prompt_id];
  const isSending = feedback?.isSending ?? false;
  const isReady = prompt.prompt_type !== "choice" || value !== "";
  useFocusTrap(box);

  const submit = () => {
    if (isSending || !isReady) return;
    answer(runId, prompt.prompt_id, prompt.prompt_type === "confirm" ? true : value);
  };
  const onKeyDown = (ev: KeyboardEvent) => onDialogKey(ev, submit);
  const who = operatorFor(runId);

  return (
    <div class="modal-backdrop">
      <span tabIndex={0} data-focus-guard onFocus={() => focusEdge(box.current!, "last")} />
      <div class="modal" tabIndex={-1} role="dialog" aria-modal="true" aria-labelledby="prompt-message" ref={box} onKeyDown={onKeyDown}
        data-testid="prompt-modal" data-prompt-type={prompt.prompt_type}>
        <header class="modal-head">
          <span class="modal-kicker">Operator prompt</span>
          <code class="modal-name">{prompt.name}</code>
          {count > 1 && <span class="modal-position" data-testid="prompt-position">1 of {count}</span>}
          {prompt.deadline && <Countdown deadline={prompt.deadline} />}
        </header>
        <p class="modal-message" id="prompt-message">{prompt.message}</p>
        <PromptAnswer prompt={prompt} value={value} onChange={setValue} error={feedback?.error ?? ""} />
        <footer class="modal-foot">
          <span class="subtle">Answering as <b>{who || "anonymous"}</b>{prompt.step && <> · asked by {stepName(prompt.step)}</>}</span>
          <SubmitButton prompt={prompt} isSending={isSending} isReady={isReady} onClick={submit} />
        </footer>
      </div>
      <span tabIndex={0} data-focus-guard onFocus={() => focusEdge(box.current!, "first")} />
    </div>
  );
}

interface SubmitProps {
  prompt: Prompt;
  isSending: boolean;
  isReady: boolean;
  onClick: () => void;
}

function SubmitButton({ prompt, isSending, isReady, onClick }: SubmitProps) {
  const isConfirm = prompt.prompt_type === "confirm";
  return (
    <button type="button" class="primary" data-autofocus={isConfirm || undefined} onClick={onClick} disabled={isSending || !isReady}>
      {isSending ? "Sending…" : isConfirm ? "Confirm" : "Submit"}
    </button>
  );
}

/** Escape does not dismiss (the test waits for an answer); Enter submits. */
function onDialogKey(ev: KeyboardEvent, submit: () => void): void {
  if (ev.key === "Escape") ev.preventDefault();
  else if (ev.key === "Enter" && !(ev.target instanceof HTMLButtonElement)) {
    ev.preventDefault();
    submit();
  }
}

const FOCUSABLE = "button:not([disabled]), input:not([disabled]), select, textarea, [tabindex]:not([tabindex='-1'])";

/** Focuses the dialog's first field on open, and brings focus back whenever it wanders outside. */
function useFocusTrap(box: { current: HTMLElement | null }): void {
  useEffect(() => {
    const el = box.current!;
    const focusInside = () => (el.querySelector<HTMLElement>("[data-autofocus]") ?? el.querySelector<HTMLElement>(FOCUSABLE) ?? el).focus();
    focusInside();
    const onFocusIn = (ev: FocusEvent) => {
      const target = ev.target as HTMLElement;
      if (!el.contains(target) && !target.hasAttribute?.("data-focus-guard")) focusInside();
    };
    document.addEventListener("focusin", onFocusIn);
    return () => document.removeEventListener("focusin", onFocusIn);
  }, []);
}

/**
 * The guards on either side of the dialog catch Tab past its last control and Shift+Tab past
 * its first, and send focus round to the other end (a radio group counts as its checked radio).
 */
function focusEdge(box: HTMLElement, edge: "first" | "last"): void {
  const items = [...box.querySelectorAll<HTMLElement>(FOCUSABLE)];
  const item = edge === "first" ? items[0] : items.at(-1);
  if (item instanceof HTMLInputElement && item.type === "radio") {
    (box.querySelector<HTMLElement>("input[type=radio]:checked") ?? item).focus();
  } else (item ?? box).focus();
}

function Countdown({ deadline }: { deadline: string }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000); // a clock on screen, not a poll
    return () => clearInterval(timer);
  }, []);
  const left = Math.max(0, Math.ceil((Date.parse(deadline) - now) / 1000));
  const text = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
  return (
    <span class="countdown" data-urgent={left <= 30} data-testid="prompt-countdown" title={`expires at ${deadline}`}>
      {text} left
    </span>
  );
}
