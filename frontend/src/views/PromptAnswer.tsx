// The answer part of a prompt dialog: nothing to fill for a confirm, a list of options for a
// choice, a text field for an input (its range in words beneath the label); the server's reason
// for refusing an answer shows beneath.
import type { Prompt } from "../protocol";

interface Props {
  prompt: Prompt;
  value: string;
  onChange: (value: string) => void;
  error: string;
}

export function PromptAnswer({ prompt, value, onChange, error }: Props) {
  const alert = error ? <p class="field-error" id="prompt-error" role="alert" data-testid="prompt-error">{error}</p> : null;
  switch (prompt.prompt_type) {
    case "confirm":
      return alert;
    case "choice":
      return (
        <fieldset class="choices" aria-describedby={error ? "prompt-error" : undefined}>
          <legend class="label">Choose one</legend>
          {(prompt.choices ?? []).map((choice, i) => (
            <label class="choice" key={choice} data-checked={value === choice}>
              <input type="radio" name={`choice-${prompt.prompt_id}`} value={choice} checked={value === choice}
                data-autofocus={(value === "" ? i === 0 : value === choice) || undefined} onChange={() => onChange(choice)} />
              <span>{choice}</span>
            </label>
          ))}
          {alert}
        </fieldset>
      );
    case "input":
      return (
        <label class="field" data-invalid={error !== ""}>
          <span class="label">Answer</span>
          {rangeHint(prompt) && <span class="field-hint" data-testid="prompt-range">{rangeHint(prompt)}</span>}
          <input name="answer" value={value} data-autofocus autoComplete="off" spellcheck={false}
            inputMode={prompt.min != null || prompt.max != null ? "decimal" : undefined}
            aria-invalid={error !== ""} aria-describedby={error ? "prompt-error" : undefined}
            onInput={(ev) => onChange(ev.currentTarget.value)} />
          {alert}
        </label>
      );
  }
}

/** "A number from -40 to 125", in words: the operator never reads a pattern or a bracket range. */
function rangeHint(prompt: Prompt): string {
  const { min, max } = prompt;
  if (min != null && max != null) return `A number from ${min} to ${max}`;
  if (min != null) return `A number, at least ${min}`;
  return max != null ? `A number, at most ${max}` : "";
}
