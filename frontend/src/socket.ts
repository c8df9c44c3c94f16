// The only module that touches a WebSocket: opens /ws with the v1 subprotocol, turns each text
// frame (one message, or an array of messages in order) into messages for its owner, the store.
import type { ClientMessage, ServerMessage } from "./protocol";

export const SUBPROTOCOL = "litmus-live.v1";

export interface ConnectionFailure {
  /** A short name for what went wrong, shown as the toast's title. */
  type: "ConnectionFailed" | "ConnectionLost" | "ProtocolError";
  message: string;
}

export interface SocketHandlers {
  onMessages(messages: ServerMessage[]): void;
  onFailure(failure: ConnectionFailure): void;
}

export interface Connection {
  send(message: ClientMessage): void;
  close(): void;
  readonly isOpen: boolean;
}

/** Parses one text frame; throws with what arrived when it is not JSON objects with a `type`. */
export function parseFrame(text: string): ServerMessage[] {
  const parsed: unknown = JSON.parse(text);
  const list = Array.isArray(parsed) ? parsed : [parsed];
  for (const item of list) {
    if (typeof item !== "object" || item === null || typeof (item as { type?: unknown }).type !== "string") {
      throw new SyntaxError(`expected a message object with a string "type", got ${JSON.stringify(item).slice(0, 80)}`);
    }
  }
  // Shape past `type` is the server's contract (schema.json); unknown types reach the fold, which ignores them.
  return list as ServerMessage[];
}

export function socketUrl(location: Location): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws`;
}

export function connect(url: string, handlers: SocketHandlers): Connection {
  const ws = new WebSocket(url, SUBPROTOCOL);
  const pending: string[] = [];
  let wasOpened = false;
  let isClosing = false;
  let hasFailed = false;

  const fail = (failure: ConnectionFailure): void => {
    if (hasFailed || isClosing) return;
    hasFailed = true;
    handlers.onFailure(failure);
  };

  ws.onopen = () => {
    wasOpened = true;
    for (const text of pending.splice(0)) ws.send(text);
  };
  ws.onmessage = (frame: MessageEvent) => {
    const failure = deliver(frame, handlers);
    if (failure === null) return;
    fail(failure);
    ws.close(4400, "bad frame");
  };
  ws.onclose = (ev: CloseEvent) => fail(closeFailure(wasOpened, ev));

  return {
    send(message) {
      const text = JSON.stringify(message);
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
      else pending.push(text);
    },
    close() {
      isClosing = true;
      ws.close(1000, "done");
    },
    get isOpen() {
      return !hasFailed && !isClosing && ws.readyState <= WebSocket.OPEN;
    },
  };
}

/** Hands a frame's messages to the owner; a frame that is not protocol JSON is a failure. */
function deliver(frame: MessageEvent, handlers: SocketHandlers): ConnectionFailure | null {
  if (typeof frame.data !== "string") return { type: "ProtocolError", message: "expected a text frame, got binary" };
  let messages: ServerMessage[];
  try {
    messages = parseFrame(frame.data);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    return { type: "ProtocolError", message: `bad frame from server: ${err.message}` };
  }
  handlers.onMessages(messages);
  return null;
}

/** What a close code without a reason means, in words (RFC 6455 §7.4.1). */
const CLOSE_MEANINGS: Record<number, string> = {
  1001: "the server is going away",
  1006: "no close frame: the server or the network went away",
  1011: "the server hit an error",
  1012: "the server is restarting",
};

function closeFailure(wasOpened: boolean, ev: CloseEvent): ConnectionFailure {
  const why = ev.reason || CLOSE_MEANINGS[ev.code];
  const detail = `code ${ev.code}${why ? `: ${why}` : ""}`;
  return wasOpened
    ? { type: "ConnectionLost", message: `the live connection to the server closed (${detail})` }
    : { type: "ConnectionFailed", message: `could not open the live connection to ${ev.target instanceof WebSocket ? ev.target.url : "the server"} (${detail})` };
}
