// The Prompts section of a run's results: what the test asked and how each prompt ended.
import type { PromptResolved } from "../protocol";
import { answerText, waited, type PromptEntry } from "../prompts";
import { dateTime } from "./format";

export function PromptsTable({ prompts }: { prompts: PromptEntry[] }) {
  if (prompts.length === 0) return null;
  return (
    <section class="card table-card" aria-labelledby="prompts-heading">
      <h2 class="card-heading" id="prompts-heading">Prompts <span class="count">{prompts.length}</span></h2>
      <table class="table prompts" data-testid="prompts">
        <thead>
          <tr>
            <th>Prompt</th><th>Message</th><th>Resolution</th><th>Value</th><th>Who</th><th>Via</th>
            <th>When</th><th class="num">Waited</th>
          </tr>
        </thead>
        <tbody>
          {prompts.map((p) => <PromptRow entry={p} key={p.prompt.prompt_id} />)}
        </tbody>
      </table>
    </section>
  );
}

function PromptRow({ entry }: { entry: PromptEntry }) {
  const { prompt, resolution: r } = entry;
  const outcome = r?.resolution ?? "waiting";
  return (
    <tr data-resolution={outcome}>
      <td class="mono">{prompt.name}</td>
      <td class="message">{prompt.message}</td>
      <td><span class="resolution" data-resolution={outcome}>{outcome}</span>{r?.reason && <div class="subtle">{r.reason}</div>}</td>
      <AnswerCells resolution={r} />
      <td class="nowrap">{dateTime(entry.resolvedAt ?? prompt.ts)}</td>
      <td class="num">{waited(r?.waited)}</td>
    </tr>
  );
}

function AnswerCells({ resolution: r }: { resolution: PromptResolved | null }) {
  if (r?.resolution !== "answered") return <><td>—</td><td>—</td><td>—</td></>;
  return (
    <>
      <td class="mono">{answerText(r.value)}</td>
      <td>{r.who || "—"}</td>
      <td>{r.via ?? "—"}</td>
    </>
  );
}
