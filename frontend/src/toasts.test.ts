import { beforeEach, describe, expect, it } from "vitest";
import { dismissAll, notify, toasts } from "./toasts";

describe("notify", () => {
  beforeEach(dismissAll);

  it("counts the same toast again instead of stacking it", () => {
    for (let i = 0; i < 3; i++) notify("error", "ConnectionLost", "the live connection closed. Refresh to reconnect.");
    notify("error", "Abort failed (run_finished)", "run 'r1' has already finished");
    expect(toasts.value.map((t) => [t.title, t.times])).toEqual([["ConnectionLost", 3], ["Abort failed (run_finished)", 1]]);
  });
});
