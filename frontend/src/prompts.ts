// Operator prompts of one run, as the fold in state.ts keeps them: each `prompt` record with
// the `prompt_resolved` event that closed it (none yet: it is open). Pure, no I/O.
import type { ActiveRun, Prompt, PromptResolved } from "./protocol";

export interface PromptEntry {
  prompt: Prompt;
  /** null while the prompt is open. */
  resolution: PromptResolved | null;
  /** ts of the resolution record. */
  resolvedAt: string | null;
}

export function ask(prompts: PromptEntry[], prompt: Prompt): PromptEntry[] {
  if (prompts.some((p) => p.prompt.prompt_id === prompt.prompt_id)) return prompts;
  return [...prompts, { prompt, resolution: null, resolvedAt: null }];
}

/** Closes a prompt; a resolution for a prompt not (yet) seen, or a second one, changes nothing. */
export function resolve(prompts: PromptEntry[], resolution: PromptResolved, ts: string): PromptEntry[] {
  const index = prompts.findIndex((p) => p.prompt.prompt_id === resolution.prompt_id && p.resolution === null);
  if (index < 0) return prompts;
  const copy = prompts.slice();
  copy[index] = { ...copy[index]!, resolution, resolvedAt: ts };
  return copy;
}

/** The prompts still waiting for an answer, oldest first. */
export function openPrompts(prompts: PromptEntry[]): PromptEntry[] {
  return prompts.filter((p) => p.resolution === null);
}

export function promptName(prompts: PromptEntry[], promptId: string): string {
  return prompts.find((p) => p.prompt.prompt_id === promptId)?.prompt.name ?? promptId;
}

/** One line for a timeline or a toast: "Prompt 'pick_bench' answered 'bench_02' by alice via ui after 4.2 s". */
export function describeResolution(name: string, r: PromptResolved): string {
  switch (r.resolution) {
    case "answered": {
      const by = r.who ? ` by ${r.who}` : "";
      const via = r.via ? ` via ${r.via}` : "";
      return `Prompt '${name}' answered ${answerText(r.value)}${by}${via} after ${waited(r.waited)}`;
    }
    case "expired":
    case "withdrawn":
      return `Prompt '${name}' ${r.resolution}${r.reason ? `: ${r.reason}` : ""}`;
  }
}

export function answerText(value: PromptResolved["value"]): string {
  if (typeof value === "string") return `'${value}'`;
  return value === true ? "yes" : String(value ?? "—");
}

export function waited(seconds: number | undefined): string {
  if (seconds === undefined) return "—";
  return seconds < 60 ? `${seconds.toFixed(1)} s` : `${Math.floor(seconds / 60)}m ${Math.round(seconds % 60)}s`;
}

/** Prompts waiting across every live run of an `active_runs` snapshot (the tab title shows it). */
export function waitingTotal(runs: ActiveRun[]): number {
  return runs.reduce((n, r) => n + r.prompts_waiting, 0);
}
