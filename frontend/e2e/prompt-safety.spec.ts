// Prompt safety with a server stand-in (Playwright's WebSocket route): a new prompt arms before
// it takes input, so a second Enter or a click meant for the last prompt never answers it; a
// half-typed answer survives a reload; Escape explains instead of dismissing.
import { expect, test, type Page, type WebSocketRoute } from "@playwright/test";

const run_id = "r-safety";
const ts = new Date().toISOString();
const ask = (seq: number, prompt_id: string, extra: object) =>
  ({ type: "prompt", run_id, seq, ts, prompt_id, step: "station/test_x.py::test_x", deadline: null, ...extra });
const choice = ask(2, "p1", { name: "pick_bench", prompt_type: "choice", message: "Which bench?", choices: ["bench_01", "bench_02"] });
const input = ask(3, "p2", { name: "chamber_temp", prompt_type: "input", message: "Chamber temperature?", default: "25", min: -40, max: 125 });
const catchUp = [
  { type: "subscribed", run_id, since_seq: 0, head_seq: 3, status: "RUNNING" },
  { type: "event", run_id, seq: 1, ts, data: { kind: "run_created", test_path: "station/test_x.py", uut_serial: "SAFE-1", operator: "ops", station: "" } },
  choice,
  input,
];

/** A stand-in that sends the two prompts and resolves each answer at once; `answers` collects what the page sent. */
async function standIn(page: Page): Promise<{ answers: Record<string, unknown>[] }> {
  const answers: Record<string, unknown>[] = [];
  let seq = 3;
  await page.routeWebSocket("/ws", (ws: WebSocketRoute) => {
    ws.onMessage((text) => {
      const msg = JSON.parse(String(text)) as Record<string, unknown>;
      if (msg.type === "subscribe" && msg.run_id === run_id) ws.send(JSON.stringify(catchUp));
      if (msg.type !== "prompt_response") return;
      answers.push(msg);
      ws.send(JSON.stringify([
        { type: "prompt_accepted", id: msg.id, run_id, prompt_id: msg.prompt_id },
        { type: "event", run_id, seq: ++seq, ts, data: { kind: "prompt_resolved", prompt_id: msg.prompt_id, resolution: "answered", value: msg.value, who: "ops", via: "ui", waited: 1 } },
      ]));
    });
  });
  return { answers };
}

const modal = (page: Page) => page.getByTestId("prompt-modal");

/**
 * Answers the choice with Enter, then presses Enter (or clicks Submit) again the moment the next
 * prompt's dialog exists, as a double press would: in-page, so no round trip sits between the two.
 */
function doublePress(page: Page, second: "Enter" | "click"): Promise<{ armed: string; submit: string }> {
  return page.evaluate((how) => new Promise<{ armed: string; submit: string }>((resolve) => {
    const dialog = () => document.querySelector<HTMLElement>("[data-testid=prompt-modal]");
    const observer = new MutationObserver(() => {
      const next = dialog();
      if (next?.dataset.promptType !== "input") return;
      observer.disconnect();
      const armed = next.dataset.armed ?? "";
      const submit = next.querySelector<HTMLButtonElement>("[data-testid=prompt-submit]")!;
      const shown = submit.textContent ?? ""; // read here: the arming lasts 0.8 s, too short to poll for from outside
      if (how === "Enter") next.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
      else submit.click();
      resolve({ armed, submit: shown });
    });
    observer.observe(document.body, { subtree: true, childList: true, attributes: true });
    dialog()!.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
  }), second);
}

for (const second of ["Enter", "click"] as const) {
  test(`a second ${second} meant for the last prompt does not answer the next one with its default`, async ({ page }) => {
    const { answers } = await standIn(page);
    await page.goto(`/live/${run_id}`);
    await expect(modal(page)).toHaveAttribute("data-armed", "true");
    await page.getByRole("radio", { name: "bench_02" }).check();
    expect(await doublePress(page, second)).toEqual({ armed: "false", submit: "Arming…" });

    await expect(modal(page)).toHaveAttribute("data-prompt-type", "input");
    await expect(modal(page)).toHaveAttribute("data-armed", "true");
    await expect(page.getByLabel("Answer")).toHaveValue("25");
    expect(answers.map((a) => a.prompt_id)).toEqual(["p1"]);
    await page.getByLabel("Answer").fill("30");
    await page.getByLabel("Answer").press("Enter");
    await expect(modal(page)).toHaveCount(0);
    expect(answers.map((a) => [a.prompt_id, a.value])).toEqual([["p1", "bench_02"], ["p2", "30"]]);
  });
}

test("a half-typed answer is still there after a reload; the range reads in words", async ({ page }) => {
  await standIn(page);
  await page.goto(`/live/${run_id}`);
  await page.getByRole("radio", { name: "bench_01" }).check();
  await page.getByRole("button", { name: "Submit" }).click();
  const field = page.getByLabel("Answer");
  await field.fill("1");
  await field.pressSequentially("2");
  await expect(page.getByTestId("prompt-range")).toHaveText("A number from -40 to 125");
  await expect(modal(page)).not.toContainText("(");
  await page.reload();
  await page.getByRole("radio", { name: "bench_01" }).check();
  await page.getByRole("button", { name: "Submit" }).click();
  await expect(page.getByLabel("Answer")).toHaveValue("12");
});

test("Escape explains that the prompt stays; Abort with its confirmation is inside the dialog", async ({ page }) => {
  await standIn(page);
  await page.goto(`/live/${run_id}`);
  await expect(modal(page)).toHaveAttribute("data-armed", "true");
  await page.keyboard.press("Escape");
  await expect(modal(page)).toBeVisible();
  await expect(page.getByTestId("prompt-escape-hint")).toContainText("abort the run");
  await modal(page).getByRole("button", { name: "Abort run…" }).click();
  const confirm = page.getByTestId("abort-confirm");
  await expect(confirm).toContainText("Abort this run?");
  await expect(confirm.getByRole("button", { name: "Keep running" })).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(confirm).toHaveCount(0);
  await expect(modal(page)).toBeVisible();
  await expect(modal(page).getByRole("button", { name: "Abort run…" })).toBeVisible();
});
