// /people, for admins: who may sign in and which scripts hold tokens; add, change a role, remove,
// issue and revoke. The server checks and audits every change; this page shows its refusals.
import { useEffect, useState } from "preact/hooks";
import { addPerson, issued, issueToken, loadPeople, people, refusal, removePerson, revokeToken, setRole, tokens } from "../people";
import type { Role } from "../session";

const ROLES: Role[] = ["viewer", "operator", "admin"];

export function PeoplePage() {
  useEffect(() => void loadPeople(), []);
  return (
    <section class="people">
      <header class="page-head">
        <h1>People and tokens</h1>
        <p class="subtle">Who may sign in, and which scripts may connect. Every change is in the audit log.</p>
      </header>
      {refusal.value && <p class="field-error" role="alert" data-testid="people-refusal">{refusal.value}</p>}
      <PeopleTable />
      <AddPerson />
      <TokensTable />
      <IssueToken />
    </section>
  );
}

function RoleSelect({ value, label, onChange }: { value: Role; label: string; onChange: (role: Role) => void }) {
  return (
    <select aria-label={label} value={value} onChange={(ev) => onChange((ev.currentTarget as HTMLSelectElement).value as Role)}>
      {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
    </select>
  );
}

function PeopleTable() {
  return (
    <div class="card table-card">
      <table class="table" aria-label="People">
        <thead><tr><th>Name</th><th>Role</th><th>Password</th><th /></tr></thead>
        <tbody>
          {(people.value ?? []).map((p) => (
            <tr key={p.name} data-testid={`person-${p.name}`}>
              <td>{p.name}</td>
              <td><RoleSelect value={p.role} label={`Role of ${p.name}`} onChange={(role) => void setRole(p.name, role)} /></td>
              <td>{p.has_password ? "set" : "not yet"}</td>
              <td><button type="button" class="small" onClick={() => void removePerson(p.name)}>Remove {p.name}</button></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AddPerson() {
  const [fields, setFields] = useState({ name: "", role: "operator" as Role, password: "" });
  const text = (key: "name" | "password") => (ev: Event) => setFields({ ...fields, [key]: (ev.currentTarget as HTMLInputElement).value });
  const submit = async (ev: Event) => {
    ev.preventDefault();
    if (await addPerson(fields)) setFields({ name: "", role: fields.role, password: "" });
  };
  return (
    <form class="card form" aria-label="Add a person" onSubmit={submit}>
      <div class="field-row">
        <label class="field"><span class="label">Name</span><input value={fields.name} onInput={text("name")} autoComplete="off" /></label>
        <label class="field"><span class="label">Password</span><input type="password" value={fields.password} onInput={text("password")} autoComplete="new-password" /></label>
      </div>
      <label class="field"><span class="label">Role</span><RoleSelect value={fields.role} label="Role" onChange={(role) => setFields({ ...fields, role })} /></label>
      <div class="actions"><button type="submit" class="primary">Add person</button></div>
    </form>
  );
}

function TokensTable() {
  return (
    <div class="card table-card">
      <table class="table" aria-label="Tokens">
        <thead><tr><th>Token</th><th>Role</th><th>Last used</th><th /></tr></thead>
        <tbody>
          {(tokens.value ?? []).map((t) => (
            <tr key={t.name} data-testid={`token-${t.name}`}>
              <td>{t.name}</td>
              <td>{t.role}</td>
              <td>{t.last_used_at ? new Date(t.last_used_at).toLocaleString() : "never"}</td>
              <td><button type="button" class="small" onClick={() => void revokeToken(t.name)}>Revoke {t.name}</button></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function IssueToken() {
  const [fields, setFields] = useState({ name: "", role: "viewer" as Role });
  const shown = issued.value;
  const submit = async (ev: Event) => {
    ev.preventDefault();
    if (await issueToken(fields)) setFields({ name: "", role: fields.role });
  };
  return (
    <form class="card form" aria-label="Issue a token" onSubmit={submit}>
      <div class="field-row">
        <label class="field">
          <span class="label">Token name</span>
          <input value={fields.name} onInput={(ev) => setFields({ ...fields, name: (ev.currentTarget as HTMLInputElement).value })} autoComplete="off" />
        </label>
        <label class="field"><span class="label">Token role</span><RoleSelect value={fields.role} label="Token role" onChange={(role) => setFields({ ...fields, role })} /></label>
      </div>
      {shown && (
        <p data-testid="issued-token">
          Token {shown.name} ({shown.role}), shown only now: <code class="wrap">{shown.token}</code>
        </p>
      )}
      <div class="actions"><button type="submit" class="primary">Issue token</button></div>
    </form>
  );
}
