// How one Events row reads: its kind, its text and the tone the stylesheet colours it by. The
// filter (eventFilter.ts) searches the same text, so what matches is what the operator sees.
import type { Event } from "../protocol";
import { describeResolution, promptName, type PromptEntry } from "../prompts";
import type { TimelineEntry } from "../state";
import { duration, measurementText, stepName } from "./format";

export interface Described {
  kind: string;
  text: string;
  tone?: string;
}

export function describe(entry: TimelineEntry, prompts: PromptEntry[]): Described {
  if (entry.type === "prompt") return { kind: "prompt", text: `Prompt '${entry.name}' (${entry.prompt_type}): ${entry.message}`, tone: "prompt" };
  if (entry.type === "complete") {
    const exit = entry.exit_code === null ? "" : ` (exit ${entry.exit_code})`;
    const text = [`${entry.status}${exit}`, entry.reason, duration(entry.duration)].filter(Boolean).join(" · ");
    return { kind: "complete", text, tone: entry.status.toLowerCase() };
  }
  return describeEvent(entry.data, prompts);
}

function describeEvent(data: Event["data"], prompts: PromptEntry[]): Described {
  switch (data.kind) {
    case "run_created":
      return { kind: data.kind, text: `${data.test_path} on UUT ${data.uut_serial}` };
    case "collected":
      return { kind: data.kind, text: `${data.count} steps: ${data.nodeids.map(stepName).join(", ")}` };
    case "step_started":
      return { kind: data.kind, text: stepName(data.nodeid), tone: "running" };
    case "step_finished": {
      const reason = data.reason ? ` — ${data.reason}` : "";
      return { kind: data.kind, text: `${data.outcome.toUpperCase()} ${stepName(data.nodeid)} · ${duration(data.duration)}${reason}`, tone: data.outcome };
    }
    case "output":
      return { kind: data.kind, text: data.line, tone: data.stream };
    case "prompt_resolved":
      return { kind: data.kind, text: describeResolution(data.name || promptName(prompts, data.prompt_id), data), tone: data.resolution };
    case "measurement":
      return { kind: data.kind, text: measurementText(data), tone: data.verdict.toLowerCase() };
    default: {
      const unknown: { kind: string } = data;
      return { kind: unknown.kind, text: "" };
    }
  }
}
