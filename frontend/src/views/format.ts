// How numbers, times and statuses read on screen.
import type { Measurement, Status } from "../protocol";
import { isFinal, type StepOutcome } from "../state";

export function statusLabel(status: Status | null): string {
  return status === null || status === "STARTING" ? "Starting..." : status;
}

/** The data-status value the stylesheet keys colours on. */
export function statusTone(status: Status | null): string {
  return status === null ? "starting" : status.toLowerCase();
}

export function isActive(status: Status | null): boolean {
  return !isFinal(status);
}

export function duration(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return "—";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(2)} s`;
  const m = Math.floor(seconds / 60);
  return `${m}m ${Math.round(seconds - m * 60)}s`;
}

/** The local "HH:MM:SS" of the last whole second formatted, with that second's ISO prefix. */
let lastSecond = { prefix: "", local: "" };

/**
 * "14:03:07.129" in local time. Rows of the same second share the formatting of their first:
 * a Date and its time-zone lookup per row cost more than the rest of a row's render.
 */
export function clock(iso: string): string {
  const prefix = iso.slice(0, 19) + (iso.endsWith("Z") ? "Z" : iso.slice(-6)); // the second and its zone
  if (prefix !== lastSecond.prefix) lastSecond = { prefix, local: localSecond(iso) };
  const millis = /^\.(\d{1,3})/.exec(iso.slice(19))?.[1] ?? "0";
  return `${lastSecond.local}.${millis.padEnd(3, "0")}`;
}

function localSecond(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  const date = d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "2-digit" });
  return `${date} ${d.toLocaleTimeString(undefined, { hour12: false })}`;
}

export function between(start: string | null | undefined, end: string | null | undefined): number | null {
  if (!start || !end) return null;
  return (Date.parse(end) - Date.parse(start)) / 1000;
}

/** "station/test_power.py::test_rail_3v3" -> "test_rail_3v3" (the file shows elsewhere). */
export function stepName(nodeid: string | null): string {
  if (!nodeid) return "";
  const i = nodeid.indexOf("::");
  return i < 0 ? nodeid : nodeid.slice(i + 2);
}

/** A reading as an instrument would show it: five significant digits, no float noise. */
export function reading(value: number | boolean | string | null | undefined): string {
  if (value == null) return "—";
  if (typeof value !== "number") return String(value);
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(5)));
}

/** "[4.9, 5.1]", "≤ 0.15" or "≥ 4.9": the limits a measurement was checked against. */
export function limits(low: number | null | undefined, high: number | null | undefined): string {
  if (low != null && high != null) return `[${reading(low)}, ${reading(high)}]`;
  if (high != null) return `≤ ${reading(high)}`;
  return low != null ? `≥ ${reading(low)}` : "";
}

/** "rail_5V0 = 5.012 V [4.9, 5.1] PASS" */
export function measurementText(m: Measurement): string {
  const value = [reading(m.value), m.unit].filter(Boolean).join(" ");
  return [`${m.name} = ${value}`, limits(m.low, m.high), m.verdict].filter(Boolean).join(" ");
}

/** A step's outcome as the tables read it: "not run" rather than the fold's "not_run". */
export function outcomeLabel(outcome: StepOutcome): string {
  return outcome.replace("_", " ");
}
