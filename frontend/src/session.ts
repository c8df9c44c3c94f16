// Who is signed in on this browser: loaded once at start (GET /api/session), then changed only
// by signing in or out. The session itself is an HttpOnly cookie the page never sees.
import { signal } from "@preact/signals";
import type { Me } from "./protocol";

export type { Me, Role } from "./protocol"; // the bodies of GET/POST /api/session, from schema.json

/** undefined while loading; null when nobody is signed in. */
export const me = signal<Me | null | undefined>(undefined);

const JSON_HEADERS = { accept: "application/json", "content-type": "application/json" };

export async function loadMe(): Promise<Me | null> {
  const response = await fetch("/api/session", { headers: { accept: "application/json" } });
  me.value = response.ok ? ((await response.json()) as Me) : null;
  return me.value;
}

/** Signs in; the reason in words when the server refused. */
export async function signIn(name: string, password: string): Promise<string | null> {
  const response = await fetch("/api/session", { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ name, password }) });
  if (response.ok) return null;
  const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  return body?.error?.message ?? `sign-in failed (HTTP ${response.status})`;
}

export async function signOut(): Promise<void> {
  await fetch("/api/session", { method: "DELETE", headers: JSON_HEADERS });
  me.value = null;
}

export const mayOperate = (who: Me | null | undefined) => who?.role === "operator" || who?.role === "admin";
