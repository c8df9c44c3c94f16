"""What the test process tells the runner over their private channel, as lines of JSON.

The channel is a socket pair inherited by the test process (its fd in LITMUS_LIVE_FD). Each
report is one JSON object on one line, `{"report": "<kind>", ...}`; a burst is one write of
several lines. No line is longer than MAX_FRAME bytes: output and readings are cut into
several reports, a list of collected node ids is shortened. The server decodes the same
shapes (litmus_live/reports.py) and answers prompts with `prompt_reply` lines.
"""

from __future__ import annotations

import json

from .definitions import MAX_FRAME

# Output is sent in pieces of at most this many characters (a JSON string may take 6 bytes a character).
OUTPUT_PIECE = MAX_FRAME // 8
SAMPLES_PIECE = 10_000
MAX_NODEIDS = 2000
MAX_REASON = 300


def encode(report: dict) -> bytes:
    """One line of JSON; lone surrogates (undecodable bytes a test put in a string) become '?'."""
    return json.dumps(report, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace") + b"\n"


def output(stream: str, nodeid: str | None, text: str) -> list[dict]:
    """Captured output of one test phase, in pieces cut at line ends where the text allows."""
    pieces, start = [], 0
    while start < len(text):
        end = min(start + OUTPUT_PIECE, len(text))
        if end < len(text):
            newline = text.rfind("\n", start, end)
            end = newline + 1 if newline > start else end
        pieces.append({"report": "output", "stream": stream, "nodeid": nodeid, "text": text[start:end]})
        start = end
    return pieces


def samples(channel: str, unit: str, times: list[float], values: list, limits: tuple = (None, None)) -> list[dict]:
    """Readings in pieces; the channel's limits (low, high), when it has any, ride with each piece."""
    low, high = limits
    extra = {} if low is None and high is None else {"low": low, "high": high}
    return [
        {"report": "samples", "channel": channel, "unit": unit, "t": times[i : i + SAMPLES_PIECE],
         "v": values[i : i + SAMPLES_PIECE], **extra}
        for i in range(0, len(times), SAMPLES_PIECE)
    ]  # fmt: skip


def collected(nodeids: list[str]) -> dict:
    """The collected count, with as many node ids (up to MAX_NODEIDS) as fit in one line."""
    shown, size = [], 0
    for nodeid in nodeids[:MAX_NODEIDS]:
        size += len(nodeid.encode("utf-8", "replace")) + 4
        if size > MAX_FRAME // 2:
            break
        shown.append(nodeid)
    return {"report": "collected", "count": len(nodeids), "nodeids": shown}


def reason(text: str) -> str:
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"
