// The operator prompt dialog of the live page: the oldest open prompt of the run, one at a time
// ("1 of N"). A new prompt arms for a moment first (it ignores keys and clicks, and says so), so
// an Enter or a click meant for the last prompt never answers this one. Escape does not dismiss
// it (the test waits); Abort, with its confirmation, is inside. What the operator typed is kept
// as a draft (drafts.ts) across re-renders and reloads; a lost connection disables sending.
import { useEffect, useRef, useState } from "preact/hooks";
import { draftOf, keepDraft } from "../drafts";
import type { Prompt } from "../protocol";
import type { PromptEntry } from "../prompts";
import { answer, answerFeedback, connectionFailure, operatorFor } from "../store";
import { AbortControl } from "./AbortControl";
import { stepName } from "./format";
import { PromptAnswer } from "./PromptAnswer";
import { useFocusTrap } from "./focusTrap";

/** How long a new prompt ignores input: longer than a double press or a click meant for the last one. */
export const ARMING_MS = 800;

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
  const [value, setValue] = useState(() => draftOf(prompt.prompt_id) ?? prompt.default ?? "");
  const [isEscapeHintShown, setEscapeHint] = useState(false);
  const isArmed = useArming(box);
  const { isSending, error } = answerFeedback.value[prompt.prompt_id] ?? { isSending: false, error: "" };
  const lost = connectionFailure.value;
  const isReady = isArmed && lost === null && hasAnswer(prompt, value);
  useFocusTrap(box);

  const change = (next: string) => {
    setValue(next);
    keepDraft(prompt.prompt_id, next);
  };
  const submit = () => {
    if (isSending || !isReady) return;
    answer(runId, prompt.prompt_id, prompt.prompt_type === "confirm" ? true : value);
  };
  const onKeyDown = (ev: KeyboardEvent) => onDialogKey(ev, isArmed ? submit : () => undefined, () => setEscapeHint(true));

  return (
    <div class="modal-backdrop">
      <span tabIndex={0} data-focus-guard />
      <div class="modal" tabIndex={-1} role="dialog" aria-modal="true" aria-labelledby="prompt-message" ref={box} onKeyDown={onKeyDown}
        data-testid="prompt-modal" data-prompt-type={prompt.prompt_type} data-armed={isArmed}>
        <header class="modal-head">
          <span class="modal-kicker">Operator prompt</span>
          <code class="modal-name">{prompt.name}</code>
          {count > 1 && <span class="modal-position" data-testid="prompt-position">1 of {count}</span>}
          {prompt.deadline && <Countdown deadline={prompt.deadline} />}
        </header>
        <p class="modal-message" id="prompt-message">{prompt.message}</p>
        <fieldset class="modal-answer" disabled={!isArmed}>
          <PromptAnswer prompt={prompt} value={value} onChange={change} error={error} />
        </fieldset>
        <DialogNotes lost={lost?.type ?? ""} isEscapeHintShown={isEscapeHintShown} />
        <footer class="modal-foot">
          <span class="subtle">Answering as <b>{who(runId)}</b>{prompt.step && <> · asked by {stepName(prompt.step)}</>}</span>
          <div class="modal-actions">
            {lost === null && <AbortControl runId={runId} label="Abort run…" />}
            <SubmitButton prompt={prompt} isSending={isSending} isArmed={isArmed} isReady={isReady} onClick={submit} />
          </div>
        </footer>
      </div>
      <span tabIndex={0} data-focus-guard />
    </div>
  );
}

function hasAnswer(prompt: Prompt, value: string): boolean {
  return prompt.prompt_type !== "choice" || value !== "";
}

function DialogNotes({ lost, isEscapeHintShown }: { lost: string; isEscapeHintShown: boolean }) {
  return (
    <>
      {lost && <p class="field-error" role="alert" data-testid="prompt-offline">The connection to the server is lost ({lost}), so no answer can be sent. Refresh to reconnect.</p>}
      {isEscapeHintShown && <p class="modal-hint" data-testid="prompt-escape-hint">This prompt stays until it is answered: the test is waiting for it. To stop the test, abort the run.</p>}
    </>
  );
}

function who(runId: string): string {
  return operatorFor(runId) || "anonymous";
}

/** False for ARMING_MS after the prompt appears; then the first field (or Confirm) takes focus. */
function useArming(box: { current: HTMLElement | null }): boolean {
  const [isArmed, setArmed] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setArmed(true), ARMING_MS);
    return () => clearTimeout(timer);
  }, []);
  useEffect(() => {
    if (isArmed) box.current?.querySelector<HTMLElement>("[data-autofocus]:not([disabled])")?.focus();
  }, [isArmed]);
  return isArmed;
}

interface SubmitProps {
  prompt: Prompt;
  isSending: boolean;
  isArmed: boolean;
  isReady: boolean;
  onClick: () => void;
}

function SubmitButton({ prompt, isSending, isArmed, isReady, onClick }: SubmitProps) {
  const isConfirm = prompt.prompt_type === "confirm";
  const label = !isArmed ? "Arming…" : isSending ? "Sending…" : isConfirm ? "Confirm" : "Submit";
  return (
    <button type="button" class="primary submit" data-autofocus={isConfirm || undefined} onClick={onClick}
      disabled={isSending || !isReady} data-testid="prompt-submit" data-arming={!isArmed}>
      {label}
    </button>
  );
}

/** Escape does not dismiss (the test waits for an answer) but says so; Enter submits. */
function onDialogKey(ev: KeyboardEvent, submit: () => void, explainEscape: () => void): void {
  if (ev.key === "Escape") {
    ev.preventDefault();
    explainEscape();
  } else if (ev.key === "Enter" && !(ev.target instanceof HTMLButtonElement)) {
    ev.preventDefault();
    submit();
  }
}

export function Countdown({ deadline }: { deadline: string }) {
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
