// A server that dies mid-run: this test starts its own `litmus-live serve` (never the shared
// webServer), opens a live run on it, then kills the process with SIGKILL. That server has no
// people of its own, so it runs with --auth off (it binds to loopback): this test is not about sign-in.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect, test } from "@playwright/test";

const SHOTS = "test-results/screenshots";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Starts a server and resolves once uvicorn says it listens (its own log line, not a poll). */
function serve(root: string, port: number): Promise<ChildProcess> {
  const args = ["serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", mkdtempSync(join(tmpdir(), "litmus-kill-")),
    "--tests", join(root, "../examples"), "--static-dir", join(root, "dist"), "--auth", "off"];
  const server = spawn(join(root, "../.venv/bin/litmus-live"), args, { stdio: ["ignore", "ignore", "pipe"] });
  return new Promise((resolve, reject) => {
    let log = "";
    server.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes("Uvicorn running on")) resolve(server);
    });
    server.once("exit", (code) => reject(new Error(`litmus-live serve exited with ${code} before listening:\n${log}`)));
  });
}

test("a killed server turns the live page's pill into ERROR with a ConnectionLost toast", async ({ page, request }) => {
  const port = await freePort();
  const server = await serve(dirname(test.info().config.configFile!), port);
  try {
    const base = `http://127.0.0.1:${port}`;
    const launched = await request.post(`${base}/api/runs`, { data: { test_path: "station/test_burn_in.py", uut_serial: "KILL-0001" } });
    expect(launched.status()).toBe(201);
    const { run_id } = (await launched.json()) as { run_id: string };

    await page.goto(`${base}/live/${run_id}`);
    const pill = page.getByTestId("status-pill").first();
    await expect(pill).toHaveText("RUNNING");
    server.kill("SIGKILL");

    await expect(pill).toHaveText("ERROR");
    await expect(pill).toHaveCSS("background-color", "rgb(198, 40, 40)");
    await expect(page.locator(".toast", { hasText: "ConnectionLost" })).toContainText("the live connection to the server closed");
    await page.screenshot({ path: `${SHOTS}/server-killed.png` });
  } finally {
    server.kill("SIGKILL");
  }
});

test("a server gone while a prompt waits: the dialog says no answer can be sent, one toast, no new socket", async ({ page, request }) => {
  const port = await freePort();
  const server = await serve(dirname(test.info().config.configFile!), port);
  try {
    const base = `http://127.0.0.1:${port}`;
    const launched = await request.post(`${base}/api/runs`, { data: { test_path: "station/test_setup.py", uut_serial: "KILL-0002", operator: "ops" } });
    expect(launched.status()).toBe(201);
    const { run_id } = (await launched.json()) as { run_id: string };
    let sockets = 0;
    page.on("websocket", () => sockets++);

    await page.goto(`${base}/live/${run_id}`);
    const modal = page.getByTestId("prompt-modal");
    await expect(modal).toHaveAttribute("data-armed", "true");
    server.kill("SIGKILL");

    await expect(page.getByTestId("prompt-offline")).toContainText("Refresh to reconnect");
    await expect(page.getByTestId("prompt-submit")).toBeDisabled();
    await expect(modal.getByRole("button", { name: "Abort run…" })).toHaveCount(0);
    for (let i = 0; i < 3; i++) await modal.press("Enter");
    await page.getByTestId("prompt-submit").click({ force: true });
    const toast = page.locator(".toast");
    await expect(toast).toHaveCount(1);
    await expect(toast).toContainText("ConnectionLost");
    await expect(toast).toContainText("Refresh to reconnect");
    await expect(modal).not.toContainText("send it again");
    expect(sockets).toBe(1);
    await page.screenshot({ path: `${SHOTS}/prompt-server-gone.png` });
  } finally {
    server.kill("SIGKILL");
  }
});
