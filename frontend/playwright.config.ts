// Browser tests against the real backend: the webServer below starts `litmus-live serve` on a
// free port with a fresh data dir, serving the built SPA (npm run build first) and ../examples.
// The "sign-in" project signs in the people of e2e/people.ts first; every test then runs
// signed in as "e2e" (an admin) unless it opens a context with another storage state.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "@playwright/test";
import { stateOf } from "./e2e/people";

const port = Number(process.env.E2E_PORT ?? 8791);
const dataDir = mkdtempSync(join(tmpdir(), "litmus-e2e-"));

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results/artifacts",
  // The slowest journeys (two viewers answering one run's prompts) took 31 s with five other
  // suites running on this 2-core machine: a test's budget is three times that.
  timeout: 90_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  reporter: process.env.CI ? "line" : "list",
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1360, height: 860 },
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    },
  },
  projects: [
    { name: "sign-in", testMatch: /sign-in\.setup\.ts/ },
    { name: "chromium", dependencies: ["sign-in"], use: { storageState: stateOf("e2e") } },
  ],
  webServer: {
    command: `e2e/serve.sh ${dataDir} ${port}`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    // uvicorn logs every connection; E2E_SERVER_LOG=1 shows them when a test needs explaining.
    stdout: "ignore",
    stderr: process.env.E2E_SERVER_LOG ? "pipe" : "ignore",
  },
});
