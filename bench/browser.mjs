// The browser half of bench/workloads/browser.py: headless Chromium on /live/<run_id>, the Events tab.
// `burst URL RUN TRIGGER LAST`: once the page shows the run's "armed" line, create TRIGGER (the test
// then prints a burst) and time until the row containing LAST is on screen. `frames URL RUN TRIGGER
// LAST SECONDS`: once the row LAST of the held history is on screen, create TRIGGER (the test starts
// printing 1,000 lines/s) and record each frame's time (start to rendered) and interval (requestAnimationFrame delta),
// the page's main-thread CPU and the CPU of every Chromium process for SECONDS; then the same frame figures on an empty
// page, the machine's own floor. Prints one JSON line.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(new URL("../frontend/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const TIMEOUT = 60_000;

async function shows(page, text) {
  const isOnScreen = (wanted) => document.querySelector("[data-testid=events]")?.textContent?.includes(wanted) ?? false;
  await page.waitForFunction(isOnScreen, text, { polling: "raf", timeout: TIMEOUT });
}

async function eventCount(page) {
  return Number(await page.getByRole("tab", { name: /Events/ }).locator(".count").textContent());
}

async function burst(page, trigger, last) {
  let firstFrame = null;
  page.on("websocket", (ws) =>
    ws.on("framereceived", (frame) => {
      if (firstFrame === null && String(frame.payload).includes("burst 0")) firstFrame = Date.now();
    }),
  );
  await page.goto(page.litmusUrl);
  await shows(page, "armed");
  const before = await eventCount(page);
  const t0 = Date.now();
  writeFileSync(trigger, "go");
  await shows(page, last);
  const t1 = Date.now();
  return { trigger_to_last_ms: t1 - t0, first_frame_to_last_ms: t1 - firstFrame, events: (await eventCount(page)) - before };
}

/** With BENCH_TRACE=FILE, a Chrome trace of the timed window (open it in DevTools' Performance panel). */
async function traced(page, during) {
  const file = process.env.BENCH_TRACE;
  if (!file) return during();
  const cdp = await page.context().newCDPSession(page);
  const chunks = [];
  cdp.on("Tracing.dataCollected", ({ value }) => chunks.push(...value));
  const finished = new Promise((resolve) => cdp.once("Tracing.tracingComplete", resolve));
  await cdp.send("Tracing.start", { categories: process.env.BENCH_TRACE_CATEGORIES ?? "devtools.timeline,v8.gc,disabled-by-default-v8.cpu_profiler", transferMode: "ReportEvents" });
  const result = await during();
  await cdp.send("Tracing.end");
  await finished;
  writeFileSync(file, JSON.stringify({ traceEvents: chunks }));
  return result;
}

/**
 * The page's main-thread CPU over `during`, in ms of thread time (threadTicks: time the thread ran,
 * not time it waited for a core), split as Chromium's Performance domain counts it.
 */
async function mainThreadCpu(page, during) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
  const read = async () => Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
  const before = await read();
  const result = await during();
  const after = await read();
  const ms = (name) => (after[name] - before[name]) * 1000;
  return { result, cpu: { task: ms("TaskDuration"), script: ms("ScriptDuration"), layout: ms("LayoutDuration"), style: ms("RecalcStyleDuration") } };
}

/** CPU time (user + system, ms) of every process this one started: Chromium's browser, renderer, GPU and utility processes. */
function chromiumCpuMs() {
  const children = new Map();
  const stat = (pid) => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  for (const name of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const parent = Number(stat(name)[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(name)]);
    } catch {
      // the process ended while the list was read
    }
  }
  let ticks = 0;
  const add = (pid) => {
    for (const child of children.get(pid) ?? []) {
      try {
        const fields = stat(child);
        ticks += Number(fields[11]) + Number(fields[12]);
      } catch {
        // ended meanwhile
      }
      add(child);
    }
  };
  add(process.pid);
  return ticks * 10; // USER_HZ is 100 on Linux
}

/**
 * For `seconds`: each frame's interval (requestAnimationFrame delta) and its time, from the frame's start
 * (the rAF timestamp) to the end of its rendering (a message posted from the rAF callback runs as the
 * first task after the frame's style, layout and paint). At 60 Hz intervals come in whole refreshes of
 * 16.7 ms whatever the work; the time is what the frame cost the main thread, against its 16.7 ms budget.
 */
function rafFrames(page, seconds) {
  return page.evaluate(
    (ms) =>
      new Promise((resolve) => {
        const deltas = [];
        const times = [];
        const channel = new MessageChannel();
        let prev = performance.now();
        let start = 0;
        const end = prev + ms;
        channel.port1.onmessage = () => times.push(performance.now() - start);
        const tick = (now) => {
          deltas.push(now - prev);
          prev = start = now;
          channel.port2.postMessage(null);
          if (now < end) requestAnimationFrame(tick);
          else setTimeout(() => resolve({ deltas, times }), 50);
        };
        requestAnimationFrame(tick);
      }),
    seconds * 1000,
  );
}

async function frames(page, trigger, last, seconds) {
  await page.goto(page.litmusUrl);
  await shows(page, last);
  const held = await eventCount(page);
  writeFileSync(trigger, "go");
  await page.waitForTimeout(500);
  const chromiumBefore = chromiumCpuMs();
  const { result: timed, cpu } = await mainThreadCpu(page, () => traced(page, () => rafFrames(page, seconds)));
  const chromium = chromiumCpuMs() - chromiumBefore;
  const arrived = (await eventCount(page)) - held;
  await page.goto("about:blank");
  return { held, arrived, ...timed, cpu: { ...cpu, chromium }, empty: await rafFrames(page, seconds) };
}

async function main() {
  const [mode, url, run, trigger, last, seconds] = process.argv.slice(2);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: FLAGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
    page.litmusUrl = `${url}/live/${run}`;
    const result = mode === "burst" ? await burst(page, trigger, last) : await frames(page, trigger, last, Number(seconds));
    process.stdout.write(JSON.stringify(result) + "\n");
  } finally {
    await browser.close();
  }
}

await main();
