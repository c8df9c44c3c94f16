// A tiny terminal dashboard for one run, written from PROTOCOL.md alone with the platform WebSocket.
//   LITMUS_TOKEN=… node --experimental-websocket protocol/examples/dashboard.mjs ws://127.0.0.1:8000/ws RUN_ID
// The token (§1) goes in an Authorization header, which Node's WebSocket can send (a browser's cannot:
// a page signs in and its cookie goes along instead).
// Prints status, progress and the verdict; exits PASSED 0, FAILED 1, ERROR 2, ABORTED 3, 4 if it could not watch.

const VERDICTS = { PASSED: 0, FAILED: 1, ERROR: 2, ABORTED: 3 };
const NO_VERDICT = 4;
const MAX_RETRIES = 5;

const [url, runId] = process.argv.slice(2);
if (!url || !runId) {
  console.error('usage: node --experimental-websocket dashboard.mjs ws://HOST:PORT/ws RUN_ID');
  process.exit(NO_VERDICT);
}
if (typeof WebSocket === 'undefined') {
  console.error('no WebSocket in this Node: run it with --experimental-websocket (Node 20) or Node 22+');
  process.exit(NO_VERDICT);
}

const token = process.env.LITMUS_TOKEN;
let lastSeq = 0; // the last record held: a reconnect resumes after it (§2)
let failures = 0;

function bar(done, total, width = 20) {
  const filled = total ? Math.floor((width * done) / total) : 0;
  return '#'.repeat(filled) + '-'.repeat(width - filled);
}

function onRecord(record) {
  switch (record.type) {
    case 'progress':
      console.log(`status ${record.status} [${bar(record.done, record.total)}] ${record.done}/${record.total}` +
        (record.current_step ? `  current: ${record.current_step}` : ''));
      break;
    case 'prompt':
      console.log(`prompt ${record.name} (${record.prompt_type}): ${record.message}`);
      break;
    case 'complete':
      console.log(`verdict ${record.status} (exit code ${record.exit_code})${record.reason ? ' ' + record.reason : ''}`);
      process.exit(VERDICTS[record.status] ?? NO_VERDICT);
      break;
    case 'event':
      onEvent(record.data);
      break;
    default: // a record type this dashboard does not know: ignore it (§6)
  }
}

function onEvent(data) {
  switch (data.kind) {
    case 'run_created':
      console.log(`run of ${data.test_path} on UUT ${data.uut_serial}`);
      break;
    case 'step_finished':
      console.log(`step ${data.outcome} ${data.nodeid}${data.reason ? ' - ' + data.reason : ''}`);
      break;
    case 'prompt_resolved':
      console.log(`prompt ${data.resolution}${data.who ? ' by ' + data.who : ''}`);
      break;
    default: // output lines and kinds this dashboard does not know
  }
}

function onMessage(message) {
  if (message.type === 'error') {
    console.error(`error ${message.code}: ${message.message}`);
    process.exit(NO_VERDICT);
  }
  if (message.type === 'subscribed') failures = 0;
  if (message.run_id !== runId || typeof message.seq !== 'number' || message.seq <= lastSeq) return;
  lastSeq = message.seq;
  onRecord(message);
}

function connect() {
  const protocols = ['litmus-live.v1'];
  const ws = token ? new WebSocket(url, { protocols, headers: { Authorization: `Bearer ${token}` } }) : new WebSocket(url, protocols);
  ws.addEventListener('open', () => {
    ws.send(JSON.stringify({ type: 'subscribe', run_id: runId, since_seq: lastSeq, id: 'dashboard' }));
  });
  ws.addEventListener('message', (event) => {
    const frame = JSON.parse(event.data); // one message, or an array of them in order (§1)
    for (const message of Array.isArray(frame) ? frame : [frame]) onMessage(message);
  });
  ws.addEventListener('close', (event) => {
    if (event.code >= 4400 && event.code !== 4408) {
      console.error(`closed ${event.code} ${event.reason}`);
      process.exit(NO_VERDICT);
    }
    failures += 1;
    if (failures > MAX_RETRIES) {
      console.error(`lost ${url}; gave up after ${MAX_RETRIES} reconnects`);
      process.exit(NO_VERDICT);
    }
    setTimeout(connect, Math.min(200 * 2 ** failures, 5000)); // resume after lastSeq
  });
}

connect();
