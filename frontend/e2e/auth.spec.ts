// Sign-in, roles and attacks on the signed-in browser, in real Chromium against the real server.
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { PASSWORD, stateOf } from "./people";

const SHOTS = "test-results/screenshots";
const SETUP = "station/test_setup.py";

async function launchAs(request: APIRequestContext, test_path: string, uut_serial: string): Promise<string> {
  const response = await request.post("/api/runs", { data: { test_path, uut_serial } });
  expect(response.status()).toBe(201);
  return ((await response.json()) as { run_id: string }).run_id;
}

async function runsOf(request: APIRequestContext, serial: string): Promise<number> {
  const runs = (await (await request.get("/api/runs")).json()) as { uut_serial: string }[];
  return runs.filter((r) => r.uut_serial === serial).length;
}

async function isLive(request: APIRequestContext, runId: string): Promise<boolean> {
  return ((await (await request.get(`/api/runs/${runId}`)).json()) as { is_live: boolean }).is_live;
}

test.describe("nobody signed in", () => {
  test.use({ storageState: { cookies: [], origins: [] } });

  test("the sign-in page refuses a wrong password, then names the person and role; sign-out returns to it", async ({ page }) => {
    await page.goto("/results");
    const form = page.getByRole("form", { name: "Sign in" });
    await expect(form).toBeVisible();
    await page.getByLabel("Name").fill("alice");
    await page.getByLabel("Password").fill("not her password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("sign-in-error")).toHaveText("wrong name or password");
    await page.screenshot({ path: `${SHOTS}/sign-in-refused.png` });

    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("signed-in")).toContainText("alice");
    await expect(page.getByTestId("signed-in")).toContainText("operator");
    await expect(page).toHaveURL(/\/results$/);
    const cookie = (await page.context().cookies()).find((c) => c.name === "litmus_session");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    await page.screenshot({ path: `${SHOTS}/signed-in.png` });

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(form).toBeVisible();
    expect((await page.request.get("/api/session")).status()).toBe(401);
  });
});

test.describe("an operator", () => {
  test.use({ storageState: stateOf("kim") });

  test("the launch page shows the signed-in operator, not a field, and the run records that name", async ({ page }) => {
    await page.goto("/launch?operator=somebody-else");
    await expect(page.getByTestId("launch-operator")).toHaveText("kim");
    await expect(page.getByRole("textbox", { name: "Operator" })).toHaveCount(0);
    await expect(page.getByRole("link", { name: "People" })).toHaveCount(0); // admins only
    await page.getByLabel("Test Path").selectOption("station/test_power.py");
    await page.getByLabel(/UUT Serial/).fill("KIM-0001");
    await page.getByRole("button", { name: "Start Test" }).click();
    await page.waitForURL(/\/live\/[^/]+$/);
    const runId = decodeURIComponent(page.url().split("/live/")[1]!);
    const run = (await (await page.request.get(`/api/runs/${runId}`)).json()) as { operator: string };
    expect(run.operator).toBe("kim");
    await expect(page.getByTestId("status-pill").first()).toHaveText("PASSED", { timeout: 20_000 });
  });
});

test.describe("a viewer", () => {
  test.use({ storageState: stateOf("vic") });

  test("cannot launch, answer or abort, and nothing changes", async ({ page, playwright, baseURL }) => {
    const admin = await playwright.request.newContext({ baseURL, storageState: stateOf("e2e") });
    await page.goto("/launch");
    await expect(page.getByTestId("signed-in")).toContainText("viewer");
    await page.getByLabel("Test Path").selectOption(SETUP);
    await page.getByLabel(/UUT Serial/).fill("VIEW-0001");
    await page.getByRole("button", { name: "Start Test" }).click();
    await expect(page.locator(".toast")).toContainText("needs the operator role; vic is viewer");
    expect(await runsOf(admin, "VIEW-0001")).toBe(0);

    const runId = await launchAs(admin, SETUP, "VIEW-0002");
    await page.goto(`/live/${runId}`);
    await expect(page.getByTestId("prompt-modal")).toContainText("Insert the UUT into socket 3");
    await page.getByRole("button", { name: "Confirm" }).click();
    await expect(page.getByTestId("prompt-modal")).toContainText("needs the operator role");
    await page.screenshot({ path: `${SHOTS}/viewer-answer-refused.png` });
    const run = (await (await admin.get(`/api/runs/${runId}`)).json()) as { open_prompts: string[] };
    expect(run.open_prompts).toHaveLength(1);
    await admin.post(`/api/runs/${runId}/abort`);

    const burnIn = await launchAs(admin, "station/test_burn_in.py", "VIEW-0003");
    await page.goto(`/live/${burnIn}`);
    await page.getByRole("button", { name: "Abort", exact: true }).click();
    await page.getByRole("button", { name: "Abort run" }).click();
    await expect(page.locator(".toast", { hasText: "Abort failed" })).toContainText("needs the operator role");
    expect(await isLive(admin, burnIn)).toBe(true);
    await admin.post(`/api/runs/${burnIn}/abort`);
    await admin.dispose();
  });
});

test("an admin adds a person, changes the role, issues and revokes a token on the People page", async ({ page, request }) => {
  await page.goto("/launch");
  await page.getByRole("link", { name: "People" }).click();
  await expect(page).toHaveURL(/\/people$/);
  const add = page.getByRole("form", { name: "Add a person" });
  await add.getByLabel("Name").fill("zoe");
  await add.getByLabel("Password").fill("short");
  await add.getByRole("button", { name: "Add person" }).click();
  await expect(page.getByTestId("people-refusal")).toContainText("at least 8 characters; got 5");
  await add.getByLabel("Password").fill("zoe's long password");
  await add.getByRole("button", { name: "Add person" }).click();
  await expect(page.getByTestId("person-zoe")).toContainText("set");
  await expect(page.getByTestId("people-refusal")).toHaveCount(0);
  await page.getByLabel("Role of zoe").selectOption("viewer");
  await expect.poll(async () => ((await (await request.get("/api/users")).json()) as { name: string; role: string }[]).find((u) => u.name === "zoe")?.role).toBe("viewer");

  const issue = page.getByRole("form", { name: "Issue a token" });
  await issue.getByLabel("Token name").fill("wall-7");
  await issue.getByRole("button", { name: "Issue token" }).click();
  const secret = (await page.getByTestId("issued-token").locator("code").textContent()) ?? "";
  expect(secret).toMatch(/^llt_/);
  expect((await request.get("/api/runs", { headers: { Authorization: `Bearer ${secret}` } })).status()).toBe(200);
  await page.screenshot({ path: `${SHOTS}/people.png` });
  await page.getByRole("button", { name: "Revoke wall-7" }).click();
  await expect(page.getByTestId("token-wall-7")).toHaveCount(0);
  expect((await request.get("/api/runs", { headers: { Authorization: `Bearer ${secret}` } })).status()).toBe(401);
  await page.getByRole("button", { name: "Remove zoe" }).click();
  await expect(page.getByTestId("person-zoe")).toHaveCount(0);
});

async function evilPage(page: Page, target: string, enctype: string, body: string): Promise<void> {
  const form = `<form method="post" action="${target}" enctype="${enctype}">${body}</form><script>document.forms[0].submit()</script>`;
  await page.route("http://evil.example/**", (route) => route.fulfill({ contentType: "text/html", body: `<!doctype html>${form}` }));
}

test("another site's forms cannot launch or abort through the signed-in browser", async ({ page, request, baseURL }) => {
  const text = `<input name='{"test_path": "station/test_comms.py", "uut_serial": "CSRF-0001", "x": "' value='"}'>`;
  for (const [enctype, body] of [["text/plain", text], ["application/x-www-form-urlencoded", `<input name="test_path" value="station/test_comms.py"><input name="uut_serial" value="CSRF-0001">`]]) {
    await evilPage(page, `${baseURL}/api/runs`, enctype!, body!);
    const refused = page.waitForResponse((r) => r.url().endsWith("/api/runs") && r.request().method() === "POST");
    await page.goto("http://evil.example/start-it");
    expect((await refused).status()).toBe(403);
    await page.unroute("http://evil.example/**");
  }
  expect(await runsOf(request, "CSRF-0001")).toBe(0);

  const runId = await launchAs(request, "station/test_burn_in.py", "CSRF-0002");
  await evilPage(page, `${baseURL}/api/runs/${runId}/abort`, "text/plain", "");
  const refused = page.waitForResponse((r) => r.url().endsWith("/abort"));
  await page.goto("http://evil.example/stop-it");
  expect((await refused).status()).toBe(403);
  expect(await isLive(request, runId)).toBe(true);
  await request.post(`/api/runs/${runId}/abort`);
});

test("a page whose name was rebound to this server gets nothing, over HTTP or the WebSocket", async ({ playwright, launchOptions, baseURL }) => {
  const port = new URL(baseURL!).port;
  const browser = await playwright.chromium.launch({ ...launchOptions, args: [...(launchOptions.args ?? []), "--host-resolver-rules=MAP evil.example 127.0.0.1"] });
  const page = await browser.newPage();
  const response = await page.goto(`http://evil.example:${port}/`);
  expect(response?.status()).toBe(403);
  expect(await response?.json()).toMatchObject({ error: { code: "host_forbidden" } });
  const ws = await page.evaluate(
    (url: string) =>
      new Promise<{ error: string; code: number }>((resolve) => {
        const socket = new WebSocket(url, "litmus-live.v1");
        let error = "";
        socket.onmessage = (event) => (error = (JSON.parse(String(event.data)) as { code: string }).code);
        socket.onclose = (event) => resolve({ error, code: event.code });
      }),
    `ws://evil.example:${port}/ws`,
  );
  expect(ws).toEqual({ error: "host_forbidden", code: 4403 });
  await browser.close();
});
