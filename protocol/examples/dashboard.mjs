// A small dashboard written from PROTOCOL.md alone, with Node's own WebSocket and fetch.
//   node --experimental-websocket dashboard.mjs ws://127.0.0.1:8000/ws RUN_ID
//       watch one run: status, progress and the verdict
//   node --experimental-websocket dashboard.mjs ws://127.0.0.1:8000/ws --launch TEST_PATH [--serial SN] [--drop-after N]
//       the whole lifecycle: follow the active-runs and finished-runs feeds, launch a run over HTTP,
//       fold its log, answer each prompt from the active feed (checked locally with the portable
//       pattern dialect first), drop the connection after N records and resume from the last seq
//       held; at the end print one JSON line of what it saw.
// An API token in LITMUS_TOKEN is sent on the upgrade and on HTTP requests (§1, §9).
// Exits PASSED 0, FAILED 1, ERROR 2, ABORTED 3, 4 if it could not watch.

const VERDICTS = { PASSED: 0, FAILED: 1, ERROR: 2, ABORTED: 3 };
const NO_VERDICT = 4;
const MAX_RETRIES = 8;
const RESUME = new Set([1001, 1006, 1011, 1012, 4408, 4409]); // §7: resume after these, stop after the rest

const args = process.argv.slice(2);
const url = args[0];
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const launchPath = option('--launch', null);
let runId = launchPath ? null : args[1];
if (!url || (!runId && !launchPath)) {
  console.error('usage: dashboard.mjs ws://HOST:PORT/ws (RUN_ID | --launch TEST_PATH [--serial SN] [--drop-after N])');
  process.exit(NO_VERDICT);
}
if (typeof WebSocket === 'undefined') {
  console.error('no WebSocket in this Node: run it with --experimental-websocket (Node 20) or Node 22+');
  process.exit(NO_VERDICT);
}
const token = process.env.LITMUS_TOKEN;
const auth = token ? { Authorization: `Bearer ${token}` } : {};
const dropAfter = Number(option('--drop-after', 0));

// What the fold of the run's log shows (§2): each seq once, in order.
const run = { lastSeq: 0, status: null, done: 0, total: 0, steps: {}, open: {}, records: 0, duplicates: 0, gaps: 0 };
const seen = { resumes: 0, answered: [], activeShowed: false, finished: null, verdict: null, closes: [] };
let failures = 0;
let socket = null;

function bar(done, total, width = 20) {
  const filled = total ? Math.floor((width * done) / total) : 0;
  return '#'.repeat(filled) + '-'.repeat(width - filled);
}

function fold(record) {
  if (record.seq <= run.lastSeq) return void (run.duplicates += 1);
  if (record.seq !== run.lastSeq + 1) run.gaps += 1;
  run.lastSeq = record.seq;
  run.records += 1;
  switch (record.type) {
    case 'progress':
      Object.assign(run, { status: record.status, done: record.done, total: record.total });
      console.log(`status ${record.status} [${bar(record.done, record.total)}] ${record.done}/${record.total}` +
        (record.current_step ? `  current: ${record.current_step}` : ''));
      break;
    case 'prompt':
      run.open[record.prompt_id] = record;
      console.log(`prompt ${record.name} (${record.prompt_type}): ${record.message}`);
      break;
    case 'complete':
      run.status = record.status;
      seen.verdict = record;
      console.log(`verdict ${record.status} (exit code ${record.exit_code})${record.reason ? ' ' + record.reason : ''}`);
      break;
    case 'event':
      onEvent(record.data);
      break;
    default: // a record type this dashboard does not know: it only advances the seq (§6)
  }
}

function onEvent(data) {
  switch (data.kind) {
    case 'run_created':
      console.log(`run of ${data.test_path} on UUT ${data.uut_serial}`);
      break;
    case 'step_finished':
      run.steps[data.nodeid] = data.outcome;
      console.log(`step ${data.outcome} ${data.nodeid}${data.reason ? ' - ' + data.reason : ''}`);
      break;
    case 'prompt_resolved':
      delete run.open[data.prompt_id];
      console.log(`prompt ${data.resolution}${data.who ? ' by ' + data.who : ''}`);
      break;
    default: // output lines and kinds this dashboard does not know
  }
}

// An answer that fits the prompt's definition, checked here as the server will check it (§4.6).
function answerFor(prompt) {
  if (prompt.prompt_type === 'confirm') return true;
  if (prompt.prompt_type === 'choice') return prompt.choices[0];
  const candidates = [prompt.default, prompt.min, prompt.max, 0].filter((v) => v != null).map(String);
  return candidates.find((text) => fits(prompt, text)) ?? '';
}

function fits(prompt, text) {
  if (prompt.pattern != null && !new RegExp(`^(?:${prompt.pattern})$`, 'us').test(text)) return false;
  const number = Number(text);
  if (prompt.min == null && prompt.max == null) return true;
  return Number.isFinite(number) && (prompt.min == null || number >= prompt.min) && (prompt.max == null || number <= prompt.max);
}

function onActive(message) {
  for (const active of message.runs) {
    if (active.run_id !== runId) continue;
    seen.activeShowed = true;
    for (const prompt of active.prompts ?? []) {
      if (seen.answered.some((a) => a.prompt_id === prompt.prompt_id)) continue;
      const answer = { type: 'prompt_response', id: `answer-${seen.answered.length + 1}`, run_id: runId,
        prompt_id: prompt.prompt_id, value: answerFor(prompt), who: 'dashboard.mjs', via: 'script' };
      seen.answered.push({ ...answer, name: prompt.name, isAccepted: false });
      send(answer);
    }
  }
}

function onMessage(message) {
  switch (message.type) {
    case 'error':
      if (message.code === 'prompt_already_answered') return; // someone else's answer won: fine
      console.error(`error ${message.code}: ${message.message}`);
      process.exit(NO_VERDICT);
      break;
    case 'subscribed':
      failures = 0;
      break;
    case 'prompt_accepted':
      for (const answer of seen.answered) if (answer.id === message.id) answer.isAccepted = true;
      break;
    case 'active_runs':
      onActive(message);
      break;
    case 'run_finished':
      if (message.run_id === runId) seen.finished = message;
      break;
    default:
      if (message.run_id === runId && typeof message.seq === 'number') fold(message);
  }
  maybeDrop();
  maybeEnd();
}

function maybeDrop() {
  if (dropAfter && seen.resumes === 0 && run.records >= dropAfter && !seen.verdict) {
    seen.resumes += 1;
    socket.close(4000, 'testing resume'); // a close this dashboard chose: it resumes at once
  }
}

function maybeEnd() {
  if (!seen.verdict || (launchPath && !seen.finished)) return;
  if (launchPath) {
    const summary = { run_id: runId, status: run.status, records: run.records, last_seq: run.lastSeq,
      gaps: run.gaps, duplicates: run.duplicates, resumes: seen.resumes, answered: seen.answered.map((a) => a.name),
      accepted: seen.answered.filter((a) => a.isAccepted).map((a) => a.name),
      steps: run.steps, open_prompts: Object.keys(run.open).length, active_feed_showed_it: seen.activeShowed,
      finished_feed_status: seen.finished.status, closes: seen.closes };
    console.log(JSON.stringify(summary));
  }
  process.exit(VERDICTS[run.status] ?? NO_VERDICT);
}

function send(message) {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function connect() {
  socket = new WebSocket(url, { protocols: ['litmus-live.v1'], headers: auth });
  socket.addEventListener('open', () => {
    if (launchPath) {
      send({ type: 'subscribe_active', id: 'active' });
      send({ type: 'subscribe_finished', id: 'finished' });
    }
    if (runId) send({ type: 'subscribe', run_id: runId, since_seq: run.lastSeq, id: 'dashboard' });
    for (const { name, isAccepted, ...answer } of seen.answered) if (!isAccepted) send(answer); // retries are safe (§3.3)
  });
  socket.addEventListener('message', (event) => {
    const frame = JSON.parse(event.data); // one message, or an array of them in order (§1)
    for (const message of Array.isArray(frame) ? frame : [frame]) onMessage(message);
  });
  socket.addEventListener('close', (event) => {
    seen.closes.push(event.code);
    const chosen = event.code === 4000;
    if (!chosen && !RESUME.has(event.code)) {
      console.error(`closed ${event.code} ${event.reason}`);
      process.exit(NO_VERDICT);
    }
    failures += chosen ? 0 : 1;
    if (failures > MAX_RETRIES) {
      console.error(`lost ${url}; gave up after ${MAX_RETRIES} reconnects`);
      process.exit(NO_VERDICT);
    }
    const backoff = chosen ? 0 : Math.min(100 * 2 ** failures, 5000) * (0.5 + Math.random() / 2);
    setTimeout(connect, backoff); // resume after run.lastSeq
  });
}

async function launch() {
  const base = url.replace(/^ws/, 'http').replace(/\/ws$/, '');
  const body = { test_path: launchPath, uut_serial: option('--serial', 'SN-DASHBOARD') };
  const response = await fetch(`${base}/api/runs`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...auth }, body: JSON.stringify(body),
  });
  const reply = await response.json();
  if (response.status !== 201) {
    console.error(`launch refused (${response.status}): ${reply.error.code}: ${reply.error.message}`);
    process.exit(NO_VERDICT);
  }
  runId = reply.run_id;
  send({ type: 'subscribe', run_id: runId, since_seq: 0, id: 'dashboard' });
}

connect();
if (launchPath) socket.addEventListener('open', () => launch(), { once: true });
