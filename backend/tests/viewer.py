"""A protocol client for tests that keeps every message it was sent, in order, and the predicates
tests wait on."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import websockets
from conftest import TOKEN, Server, connect, receive


def kind(message: dict) -> str | None:
    return message["data"]["kind"] if message["type"] == "event" else None


def is_line(text: str) -> Callable[[dict], bool]:
    return lambda m: kind(m) == "output" and m["data"]["line"] == text


def is_store_error(message: dict) -> bool:
    return message["type"] == "error" and message["code"] == "store_unavailable"


def lines(records: list[dict]) -> list[str]:
    return [r["data"]["line"] for r in records if kind(r) == "output"]


class Viewer:
    """A protocol client that keeps every message it was sent, in order."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.seen: list[dict] = []

    @classmethod
    async def open(cls, server: Server, run_id: str | None = None, token: str = TOKEN) -> Viewer:
        viewer = cls(await connect(server.ws, token=token))
        if run_id is not None:
            await viewer.send({"type": "subscribe", "run_id": run_id})
        return viewer

    async def send(self, message: dict) -> None:
        await self.ws.send(json.dumps(message))

    async def until(self, predicate, timeout: float = 30.0) -> dict:
        """The first message (already seen or arriving) that satisfies `predicate`."""
        for message in self.seen:
            if predicate(message):
                return message
        deadline = time.monotonic() + timeout
        while True:
            frame = await receive(self.ws, max(deadline - time.monotonic(), 0.01))
            self.seen += frame
            for message in frame:
                if predicate(message):
                    return message

    async def prompt(self, name: str) -> dict:
        return await self.until(lambda m: m["type"] == "prompt" and m["name"] == name)

    async def resolution(self, prompt_id: str) -> dict:
        message = await self.until(lambda m: kind(m) == "prompt_resolved" and m["data"]["prompt_id"] == prompt_id)
        return message["data"]

    async def reply_to(self, request_id: str) -> dict:
        return await self.until(lambda m: m["type"] in ("prompt_accepted", "error") and m.get("id") == request_id)

    async def answer(self, prompt: dict, value: object, request_id: str, who: str = "ada") -> dict:
        await self.send(
            {"type": "prompt_response", "id": request_id, "run_id": prompt["run_id"],
             "prompt_id": prompt["prompt_id"], "value": value, "who": who, "via": "ui"}
        )  # fmt: skip
        return await self.reply_to(request_id)

    async def complete(self) -> dict:
        return await self.until(lambda m: m["type"] == "complete")

    def records(self) -> list[dict]:
        return [m for m in self.seen if "seq" in m]


async def watch(server: Server, run_id: str) -> Viewer:
    """A viewer subscribed to `run_id` from its start."""
    return await Viewer.open(server, run_id)


async def resume(server: Server, run_id: str, since_seq: int) -> list[dict]:
    """Every record after `since_seq` up to complete, from a fresh subscription."""
    viewer = await Viewer.open(server)
    await viewer.send({"type": "subscribe", "run_id": run_id, "since_seq": since_seq})
    await viewer.complete()
    await viewer.ws.close()
    return viewer.records()
