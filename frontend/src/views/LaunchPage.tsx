// /launch: choose a test, name the unit, start a run, then follow it live.
import { useEffect, useState } from "preact/hooks";
import { navigate } from "../route";
import { me } from "../session";
import { launch, loadTests, tests } from "../store";

interface Fields {
  test_path: string;
  uut_serial: string;
  station: string;
}

function prefill(query: URLSearchParams): Fields {
  const get = (...names: string[]) => names.map((n) => query.get(n)).find((v) => v != null) ?? "";
  return {
    test_path: get("test_path", "test"),
    uut_serial: get("uut_serial", "serial"),
    station: get("station"),
  };
}

export function LaunchPage({ query }: { query: URLSearchParams }) {
  const [fields, setFields] = useState<Fields>(() => prefill(query));
  const [isMissingSerial, setMissingSerial] = useState(false);
  const [isSending, setSending] = useState(false);
  useEffect(() => void loadTests(), []);

  const available = tests.value;
  const testPath = fields.test_path || (available?.[0] ?? "");
  const set = (name: keyof Fields) => (ev: Event) => {
    setFields({ ...fields, [name]: (ev.currentTarget as HTMLInputElement).value });
    if (name === "uut_serial") setMissingSerial(false);
  };

  const submit = async (ev: Event) => {
    ev.preventDefault();
    const serial = fields.uut_serial.trim();
    if (!serial) return setMissingSerial(true);
    setSending(true);
    const runId = await launch({ test_path: testPath, uut_serial: serial, station: fields.station.trim() });
    setSending(false);
    if (runId) navigate(`/live/${encodeURIComponent(runId)}`);
  };

  return (
    <section class="launch">
      <header class="page-head">
        <h1>Launch Test</h1>
        <p class="subtle">Start a pytest run on this station and follow it live.</p>
      </header>
      <form class="card form" onSubmit={submit} noValidate>
        <TestPathField value={testPath} available={available} onChange={set("test_path")} />
        <label class="field" data-invalid={isMissingSerial}>
          <span class="label">UUT Serial <span class="required">required</span></span>
          <input name="uut_serial" value={fields.uut_serial} onInput={set("uut_serial")} autoComplete="off" spellcheck={false}
            placeholder="e.g. PSU-2041-00017" aria-invalid={isMissingSerial} aria-describedby="serial-error" />
          {isMissingSerial && <span class="field-error" id="serial-error" role="alert">Enter the serial number of the unit under test.</span>}
        </label>
        <div class="field-row">
          <label class="field">
            <span class="label">Station</span>
            <input name="station" value={fields.station} onInput={set("station")} placeholder="optional" />
          </label>
          <div class="field">
            <span class="label" id="operator-label">Operator</span>
            {/* the server records the signed-in person as the run's operator; nothing here can change that */}
            <output class="field-value" aria-labelledby="operator-label" data-testid="launch-operator">
              {me.value?.name ?? "—"}
            </output>
            <span class="subtle">from your sign-in</span>
          </div>
        </div>
        <div class="actions">
          <button type="submit" class="primary" disabled={isSending || !testPath}>
            {isSending ? "Starting…" : "Start Test"}
          </button>
        </div>
      </form>
    </section>
  );
}

interface TestPathProps {
  value: string;
  available: string[] | null;
  onChange: (ev: Event) => void;
}

/** The test list from the server; a pre-filled path it does not list stays selectable (the server judges it). */
function TestPathField({ value, available, onChange }: TestPathProps) {
  const paths = available ?? [];
  const isUnlisted = value !== "" && available !== null && !paths.includes(value);
  return (
    <label class="field">
      <span class="label">Test Path</span>
      <select name="test_path" value={value} onChange={onChange} disabled={available === null}>
        {available === null && <option value="">Loading tests…</option>}
        {available?.length === 0 && <option value="">No tests found</option>}
        {isUnlisted && <option value={value}>{value}</option>}
        {paths.map((path) => <option key={path} value={path}>{path}</option>)}
      </select>
    </label>
  );
}
