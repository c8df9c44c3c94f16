// People and tokens, for an admin (PROTOCOL.md §9, /api/users and /api/tokens): the lists as
// signals, and the changes as actions that reload them. A refusal is kept, in the server's words.
import { signal } from "@preact/signals";
import { ApiError, call } from "./api";
import type { Role } from "./session";

export interface Person { name: string; role: Role; has_password: boolean; created_at: string }
export interface Token { name: string; role: Role; created_at: string; last_used_at: string | null }
export interface IssuedToken { name: string; role: Role; token: string; created_at: string }

export const people = signal<Person[] | null>(null);
export const tokens = signal<Token[] | null>(null);
/** The last refusal of a change, or "" once a change went through. */
export const refusal = signal("");
/** A token's secret, shown once, right after it was issued. */
export const issued = signal<IssuedToken | null>(null);

export async function loadPeople(): Promise<void> {
  await attempt(async () => {
    [people.value, tokens.value] = await Promise.all([call<Person[]>("GET", "/api/users"), call<Token[]>("GET", "/api/tokens")]);
  });
}

const name = (n: string) => encodeURIComponent(n);
export const addPerson = (person: { name: string; role: Role; password: string }) => change(() => call("POST", "/api/users", person));
export const setRole = (person: string, role: Role) => change(() => call("PATCH", `/api/users/${name(person)}`, { role }));
export const removePerson = (person: string) => change(() => call("DELETE", `/api/users/${name(person)}`));
export const revokeToken = (token: string) => change(() => call("DELETE", `/api/tokens/${name(token)}`));
export const issueToken = (token: { name: string; role: Role }) =>
  change(async () => {
    issued.value = await call<IssuedToken>("POST", "/api/tokens", token);
  });

async function change(work: () => Promise<unknown>): Promise<boolean> {
  const isDone = await attempt(work);
  if (isDone) refusal.value = "";
  await loadPeople();
  return isDone;
}

async function attempt(work: () => Promise<unknown>): Promise<boolean> {
  try {
    await work();
    return true;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    refusal.value = err.message;
    return false;
  }
}
