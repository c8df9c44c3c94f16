// How readings and measurements read on screen.
import { describe, expect, it } from "vitest";
import type { Measurement } from "../protocol";
import { clock, limits, measurementText, reading } from "./format";

describe("reading", () => {
  it("shows five significant digits without float noise", () => {
    expect(reading(3.3659999999999997)).toBe("3.366");
    expect(reading(5.012)).toBe("5.012");
    expect(reading(2e-7)).toBe("2e-7");
    expect(reading(1234)).toBe("1234");
  });

  it("shows booleans, strings and missing values as they are", () => {
    expect([reading(true), reading("idle"), reading(null)]).toEqual(["true", "idle", "—"]);
  });
});

describe("measurementText", () => {
  const m: Measurement = { kind: "measurement", name: "rail_5V0", value: 5.012, low: 4.9, high: 5.1, unit: "V", verdict: "PASS", step: null };

  it("reads as name, value, unit, limits and verdict", () => {
    expect(measurementText(m)).toBe("rail_5V0 = 5.012 V [4.9, 5.1] PASS");
  });

  it("shows one-sided limits as a bound", () => {
    expect(limits(null, 0.15)).toBe("≤ 0.15");
    expect(limits(4.9, null)).toBe("≥ 4.9");
    expect(measurementText({ ...m, low: null, high: null, unit: "", verdict: "FAIL" })).toBe("rail_5V0 = 5.012 FAIL");
  });
});

describe("clock", () => {
  it("reads local time to the millisecond, the same as formatting each Date would", () => {
    const pad = (n: number, w = 2) => String(n).padStart(w, "0");
    const byDate = (iso: string) => {
      const d = new Date(iso);
      return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
    };
    const stamps = ["2026-12-02T07:53:11.129167Z", "2026-12-02T07:53:11.5Z", "2026-12-02T07:53:12Z", "2026-12-02T07:53:12.000001+02:00", "2026-12-02T07:53:12.25+02:00"];
    expect(stamps.map(clock)).toEqual(stamps.map(byDate));
  });
});
