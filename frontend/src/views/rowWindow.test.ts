import { describe, expect, it } from "vitest";
import { rowWindow } from "./rowWindow";

describe("rowWindow", () => {
  it("shows the rows in view and the overscan beyond, at the top", () => {
    expect(rowWindow(12_500, 0, 360, 36, 5)).toEqual({ first: 0, last: 15 });
  });

  it("follows the scroll position", () => {
    expect(rowWindow(12_500, 36 * 1000, 360, 36, 5)).toEqual({ first: 995, last: 1015 });
  });

  it("ends with the last row when scrolled to the bottom", () => {
    expect(rowWindow(12_500, 36 * 12_500 - 360, 360, 36, 5)).toEqual({ first: 12_485, last: 12_500 });
  });

  it("holds every row of a list shorter than the box, and none of an empty one", () => {
    expect(rowWindow(3, 0, 360, 36, 5)).toEqual({ first: 0, last: 3 });
    expect(rowWindow(0, 0, 360, 36, 5)).toEqual({ first: 0, last: 0 });
  });

  it("stays inside the list when the scroll position is past its end (the list just shrank)", () => {
    expect(rowWindow(10, 36 * 500, 360, 36, 5)).toEqual({ first: 9, last: 10 });
  });
});
