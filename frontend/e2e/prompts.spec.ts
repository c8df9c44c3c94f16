// Operator prompts against the real backend: examples/station/test_setup.py asks a confirm
// (insert_uut), a choice (pick_bench) and an input (chamber_temp, -40..125, default "25").
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { stateOf } from "./people";

const SHOTS = "test-results/screenshots";
const SETUP = "station/test_setup.py";

async function launchSetup(request: APIRequestContext, uut_serial: string, operator = "e2e"): Promise<string> {
  const response = await request.post("/api/runs", { data: { test_path: SETUP, uut_serial, station: "ST-E2E", operator } });
  expect(response.status()).toBe(201);
  return ((await response.json()) as { run_id: string }).run_id;
}

const modal = (page: Page) => page.getByTestId("prompt-modal");
const toast = (page: Page, text: string) => page.locator(".toast", { hasText: text });
const pill = (page: Page) => page.getByTestId("status-pill").first();

async function confirmInsert(page: Page): Promise<void> {
  await expect(modal(page)).toContainText("Insert the UUT into socket 3");
  await page.getByRole("button", { name: "Confirm" }).click();
}

async function chooseBench(page: Page, bench: string): Promise<void> {
  await expect(modal(page)).toContainText("Which bench is this UUT on?");
  await page.getByRole("radio", { name: bench }).check();
  await page.getByRole("button", { name: "Submit" }).click();
}

test("the operator journey: launch, answer three prompts with a correction, PASSED, answers in the results", async ({ browser }) => {
  const page = await (await browser.newContext({ storageState: stateOf("alice") })).newPage();
  await page.goto("/launch?station=ST-04");
  await page.getByLabel("Test Path").selectOption(SETUP);
  await page.getByLabel(/UUT Serial/).fill("FIX-0001");
  await page.getByRole("button", { name: "Start Test" }).click();
  await page.waitForURL(/\/live\/[^/]+$/);
  const runId = decodeURIComponent(page.url().split("/live/")[1]!);

  await expect(modal(page)).toHaveAttribute("data-prompt-type", "confirm");
  await expect(page.getByRole("dialog")).toContainText("Answering as alice");
  await expect(page.getByRole("button", { name: "Confirm" })).toBeFocused();
  await page.screenshot({ path: `${SHOTS}/prompt-confirm.png` });
  await page.keyboard.press("Escape");
  await expect(modal(page)).toBeVisible();
  await confirmInsert(page);

  await expect(modal(page)).toHaveAttribute("data-prompt-type", "choice");
  await page.getByRole("radio", { name: "bench_02" }).check();
  await page.screenshot({ path: `${SHOTS}/prompt-choice.png` });
  await page.getByRole("button", { name: "Submit" }).click();

  const field = page.getByLabel(/Answer/);
  await expect(field).toHaveValue("25");
  await expect(page.getByTestId("prompt-countdown")).toHaveText(/^[45]:\d\d left$/);
  await field.fill("999");
  await field.press("Enter");
  await expect(page.getByTestId("prompt-error")).toHaveText("invalid answer to prompt chamber_temp: 999 is above the maximum 125");
  await expect(field).toHaveAttribute("aria-invalid", "true");
  await page.screenshot({ path: `${SHOTS}/prompt-input-invalid.png` });
  await field.fill("21");
  await field.press("Enter");

  await expect(modal(page)).toHaveCount(0);
  await expect(pill(page)).toHaveText("PASSED", { timeout: 20_000 });
  await expect(page.getByTestId("events")).toContainText("Prompt 'pick_bench' answered 'bench_02' by alice via ui after");
  await page.screenshot({ path: `${SHOTS}/live-prompts-passed.png` });

  await page.getByRole("link", { name: "View Full Results →" }).click();
  await expect(page).toHaveURL(`/results/${runId}`);
  const rows = page.getByTestId("prompts").locator("tbody tr");
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(0)).toContainText("insert_uut");
  await expect(rows.nth(1)).toContainText(/pick_bench.*answered.*'bench_02'.*alice.*ui/);
  await expect(rows.nth(2)).toContainText(/chamber_temp.*answered.*'21'.*alice.*ui/);
  await page.screenshot({ path: `${SHOTS}/result-prompts.png`, fullPage: true });
  await page.context().close();
});

test("a run waiting for the operator shows an amber sidebar row that opens its dialog, again after a reload", async ({ page, request }) => {
  const runId = await launchSetup(request, "WAIT-0001");
  await page.goto("/results");
  const row = page.getByTestId("active-run").filter({ hasText: "WAIT-0001" });
  await expect(row).toContainText(/1 dialog\(s\)? waiting/);
  await expect(row).toHaveAttribute("data-waiting", "true");
  await expect(page).toHaveTitle(/^\(\d+\) Litmus Live — Results$/);
  await page.screenshot({ path: `${SHOTS}/sidebar-waiting.png` });

  await row.click();
  await expect(page).toHaveURL(`/live/${runId}`);
  await expect(modal(page)).toContainText("Insert the UUT into socket 3");
  await page.reload(); // the dialog is a fold of the log: it is back for a prompt still open
  await expect(modal(page)).toContainText("Insert the UUT into socket 3");
  await request.post(`/api/runs/${runId}/abort`);
  await expect(modal(page)).toHaveCount(0);
  await expect(toast(page, "Prompt withdrawn")).toBeVisible();
  await expect(pill(page)).toHaveText("ABORTED", { timeout: 15_000 });
});

test("two viewers of one run: when one answers, the other's dialog moves on and says by whom", async ({ browser, request }) => {
  const runId = await launchSetup(request, "TWO-0001");
  const bobContext = await browser.newContext({ storageState: stateOf("bob") });
  const kimContext = await browser.newContext({ storageState: stateOf("kim") });
  const [bob, kim] = [await bobContext.newPage(), await kimContext.newPage()];
  await Promise.all([bob.goto(`/live/${runId}`), kim.goto(`/live/${runId}`)]);
  await expect(modal(kim)).toContainText("Answering as kim");

  await confirmInsert(bob);
  await expect(toast(kim, "Answered by bob via ui: confirmed")).toBeVisible();
  await chooseBench(bob, "bench_03");
  await expect(toast(kim, "Answered by bob via ui: bench_03")).toBeVisible();
  await expect(modal(kim)).toHaveAttribute("data-prompt-type", "input");
  await expect(modal(kim)).toHaveAttribute("data-armed", "true");
  await kim.screenshot({ path: `${SHOTS}/prompt-answered-elsewhere.png` });

  await kim.getByLabel(/Answer/).press("Enter");
  await expect(toast(bob, "Answered by kim via ui: 25")).toBeVisible();
  await expect(modal(bob)).toHaveCount(0);
  await expect(pill(bob)).toHaveText("PASSED", { timeout: 20_000 });
  await expect(toast(kim, "Answered by kim")).toHaveCount(0);
  await Promise.all([bobContext.close(), kimContext.close()]);
});

test("several open prompts show one at a time as '1 of N'; the dialog keeps focus and sends what the protocol says", async ({ page }) => {
  const run_id = "r-mock";
  const ts = new Date().toISOString();
  let deadline = ""; // set when the page subscribes: a slow start must not eat into the 90 s
  const ask = (seq: number, prompt_id: string, extra: object) =>
    ({ type: "prompt", run_id, seq, ts, prompt_id, step: "station/test_x.py::test_x", deadline: null, ...extra });
  const catchUp = () => [
    { type: "subscribed", run_id, since_seq: 0, head_seq: 3, status: "RUNNING" },
    { type: "event", run_id, seq: 1, ts, data: { kind: "run_created", test_path: "station/test_x.py", uut_serial: "MOCK-1", operator: "ops", station: "" } },
    ask(2, "p1", { name: "pick_bench", prompt_type: "choice", message: "Which bench?", choices: ["bench_01", "bench_02"] }),
    ask(3, "p2", { name: "serial_label", prompt_type: "input", message: "Scan the label", default: "", timeout_seconds: 90, deadline }),
  ];
  const sent: Record<string, unknown>[] = [];
  let expireSecond = () => {};
  await page.routeWebSocket("/ws", (ws) => {
    expireSecond = () => ws.send(JSON.stringify({ type: "event", run_id, seq: 5, ts, data: { kind: "prompt_resolved", prompt_id: "p2", resolution: "expired", reason: "no answer within 90 s", waited: 90 } }));
    ws.onMessage((text) => {
      const msg = JSON.parse(String(text)) as Record<string, unknown>;
      sent.push(msg);
      if (msg.type === "subscribe" && msg.run_id === run_id) {
        deadline = new Date(Date.now() + 90_000).toISOString();
        ws.send(JSON.stringify(catchUp()));
      }
      if (msg.type === "prompt_response") {
        ws.send(JSON.stringify([
          { type: "prompt_accepted", id: msg.id, run_id, prompt_id: msg.prompt_id },
          { type: "event", run_id, seq: 4, ts, data: { kind: "prompt_resolved", prompt_id: msg.prompt_id, resolution: "answered", value: msg.value, who: "e2e", via: "ui", waited: 2, reason: "" } },
        ]));
      }
    });
  });
  await page.goto(`/live/${run_id}`);
  await expect(page.getByTestId("prompt-position")).toHaveText("1 of 2");
  await expect(modal(page)).toContainText("Which bench?");
  await expect(modal(page)).toHaveAttribute("data-armed", "true");
  await expect(page.getByRole("button", { name: "Submit" })).toBeDisabled();
  for (let i = 0; i < 5; i++) await page.keyboard.press("Tab");
  expect(await page.evaluate(() => document.activeElement?.closest("[role=dialog]") !== null)).toBe(true);
  await page.keyboard.press("Escape");
  await expect(page.getByTestId("prompt-escape-hint")).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/prompt-one-of-two.png` });

  await page.getByRole("radio", { name: "bench_02" }).check();
  await page.keyboard.press("Enter");
  await expect(modal(page)).toContainText("Scan the label");
  await expect(modal(page)).toHaveAttribute("data-armed", "true");
  await expect(page.getByTestId("prompt-position")).toHaveCount(0);
  // 90 s from the subscription, less however long this machine took to get here (not a race: any 0:01-1:30)
  await expect(page.getByTestId("prompt-countdown")).toHaveText(/^(1:[0-2]\d|1:30|0:[0-5]\d) left$/);
  await expect(page.getByTestId("prompt-countdown")).toHaveAttribute("title", `expires at ${deadline}`);
  const response = sent.find((m) => m.type === "prompt_response");
  expect(response).toMatchObject({ run_id, prompt_id: "p1", value: "bench_02", via: "ui", id: expect.stringMatching(/^ui-/) });
  expect(response).not.toHaveProperty("who"); // the server records the signed-in name

  expireSecond(); // only now: the countdown above was asserted on a prompt still open
  await expect(modal(page)).toHaveCount(0);
  await expect(toast(page, "Prompt expired")).toContainText("Prompt 'serial_label' expired: no answer within 90 s");
});
