// Frames as the server sends them: one message object, or an array of messages in order.
import { describe, expect, it } from "vitest";
import { parseFrame } from "./socket";

describe("parseFrame", () => {
  it("reads a frame holding one message", () => {
    const text = '{"type":"welcome","protocol":"litmus-live.v1","server":"litmus-live/0.1.0"}';
    expect(parseFrame(text)).toEqual([{ type: "welcome", protocol: "litmus-live.v1", server: "litmus-live/0.1.0" }]);
  });

  it("reads a catch-up frame holding an array of messages, keeping their order", () => {
    const text = '[{"type":"subscribed","run_id":"r1","since_seq":0,"head_seq":2,"status":"RUNNING"},' +
      '{"type":"progress","run_id":"r1","seq":1,"ts":"2026-01-01T00:00:00Z","status":"RUNNING","total":2,"done":0},' +
      '{"type":"some_future_message","seq":2}]';
    expect(parseFrame(text).map((m) => m.type)).toEqual(["subscribed", "progress", "some_future_message"]);
  });

  it("refuses JSON that is not message objects, saying what arrived", () => {
    expect(() => parseFrame("[1]")).toThrow(/expected a message object with a string "type", got 1/);
    expect(() => parseFrame('{"kind":"output"}')).toThrow(SyntaxError);
    expect(() => parseFrame("not json")).toThrow(SyntaxError);
  });
});
