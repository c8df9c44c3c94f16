// The store's faults on the page, both ways: this test starts its own `litmus-live serve` whose
// data dir is a real 4 MB tmpfs (mounting needs root, as CI runs), fills that disk while a run
// prints, then frees it. The banner must appear on every page at once and go away once the store
// commits again: on the live page because records arrive again, on a quiet page because
// /healthz says ok. Its own server has no people, so it runs with --auth off (loopback only).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect, test } from "@playwright/test";

const TICKING = `
import os
import time

CONTROL = os.environ["OUTAGE_CONTROL"]


def test_ticks_until_told():
    i = 0
    while not os.path.exists(os.path.join(CONTROL, "finish")):
        print(f"tick {i:05d}", flush=True)
        i += 1
        time.sleep(0.05)
`;

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

/** A 4 MB tmpfs at `disk`; throws with mount's words when it cannot be mounted. */
function mountSmallDisk(disk: string): void {
  mkdirSync(disk);
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", disk], { encoding: "utf8" });
  if (mounted.status !== 0) throw new Error(`this test mounts a 4 MB tmpfs (as root): ${mounted.stderr}`);
}

/** Writes to `path` until the disk is full (ENOSPC). */
function fill(path: string): void {
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
}

function serve(frontend: string, port: number, dirs: { data: string; tests: string; control: string }): Promise<ChildProcess> {
  const args = ["serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dirs.data, "--tests", dirs.tests,
    "--static-dir", join(frontend, "dist"), "--auth", "off"];
  const env = { ...process.env, OUTAGE_CONTROL: dirs.control };
  const server = spawn(join(frontend, "../.venv/bin/litmus-live"), args, { stdio: ["ignore", "ignore", "pipe"], env });
  return new Promise((resolve, reject) => {
    let log = "";
    server.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes("Uvicorn running on")) resolve(server);
    });
    server.once("exit", (code) => reject(new Error(`litmus-live serve exited with ${code} before listening:\n${log}`)));
  });
}

test("a store that cannot commit shows a banner on every page, and it goes once the store commits again", async ({ browser, request }) => {
  const tmp = mkdtempSync(join(tmpdir(), "litmus-outage-"));
  const dirs = { data: join(tmp, "disk", "data"), tests: join(tmp, "tests"), control: join(tmp, "control") };
  mountSmallDisk(join(tmp, "disk"));
  [dirs.tests, dirs.control].forEach((dir) => mkdirSync(dir));
  writeFileSync(join(dirs.tests, "test_ticking.py"), TICKING);
  const port = await freePort();
  const server = await serve(dirname(test.info().config.configFile!), port, dirs);
  const filler = join(tmp, "disk", "filler");
  try {
    const base = `http://127.0.0.1:${port}`;
    const launched = await request.post(`${base}/api/runs`, { data: { test_path: "test_ticking.py", uut_serial: "OUTAGE-1" } });
    expect(launched.status()).toBe(201);
    const { run_id } = (await launched.json()) as { run_id: string };
    const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
    const live = await context.newPage();
    const quiet = await context.newPage();
    await live.goto(`${base}/live/${run_id}`);
    await quiet.goto(`${base}/results`);
    await expect(live.getByTestId("events")).toContainText("tick 0"); // the list is windowed: whichever ticks are in view
    await expect(live.getByTestId("store-outage")).toHaveCount(0);

    fill(filler);
    for (const page of [live, quiet]) {
      await expect(page.getByTestId("store-outage")).toContainText("cannot save records", { timeout: 30_000 });
      await expect(page.getByTestId("store-outage")).toContainText("database or disk is full");
    }

    rmSync(filler);
    for (const page of [live, quiet]) await expect(page.getByTestId("store-outage")).toHaveCount(0, { timeout: 30_000 });
    writeFileSync(join(dirs.control, "finish"), "");
    await expect(live.getByTestId("status-pill").first()).toHaveText("PASSED", { timeout: 30_000 });
    await context.close();
  } finally {
    server.kill("SIGKILL");
    if (existsSync(filler)) rmSync(filler);
    spawnSync("umount", ["-l", join(tmp, "disk")]);
  }
});
