// How readings and measurements read on screen.
import { describe, expect, it } from "vitest";
import type { Measurement } from "../protocol";
import { limits, measurementText, reading } from "./format";

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
