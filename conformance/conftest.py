"""Conformance to protocol/PROTOCOL.md (v1) of any server: `pytest --url ws://HOST:PORT/ws
--token TOKEN` (an operator's API token; every HTTP request and WebSocket upgrade sends it).

Speaks raw JSON over `websockets` and HTTP over urllib, so it tests the wire, not a client
library. Runs it launches are aborted at the end if they are still live.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import jsonschema
import pytest
import websockets

SUBPROTOCOL = "litmus-live.v1"
SCHEMA = Path(__file__).resolve().parents[1] / "protocol" / "schema.json"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("litmus-live conformance")
    group.addoption(
        "--url",
        default=os.environ.get("LITMUS_CONFORMANCE_URL"),
        help="the server's WebSocket endpoint, ws://HOST:PORT/ws (or LITMUS_CONFORMANCE_URL)",
    )
    group.addoption(
        "--token",
        default=os.environ.get("LITMUS_CONFORMANCE_TOKEN") or os.environ.get("LITMUS_TOKEN"),
        help="an API token of role operator or admin (or LITMUS_CONFORMANCE_TOKEN, or LITMUS_TOKEN)",
    )
    group.addoption(
        "--plain-test",
        default="station/test_comms.py",
        help="a quick test path under the server's test root that asks no prompts",
    )
    group.addoption("--prompt-test", default="station/test_setup.py",
                    help="a test path that asks a confirm, a choice and an input prompt, in that order")  # fmt: skip
    group.addoption("--channels-test", default="station/test_power.py",
                    help="a test path that records channel readings, at least one channel with limits")  # fmt: skip
    group.addoption("--station", default=os.environ.get("LITMUS_CONFORMANCE_STATION", ""),
                    help="in a fleet, the station that runs the launched tests (default: the node itself)")  # fmt: skip
    group.addoption("--schema", default=str(SCHEMA), help="the protocol's schema.json to hold replies to")


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("--url"):
        raise pytest.UsageError("give the server to test: --url ws://HOST:PORT/ws or LITMUS_CONFORMANCE_URL")


class Http:
    """The server's HTTP side, derived from the WebSocket URL (ws→http, wss→https, same host)."""

    def __init__(self, ws_url: str, token: str | None) -> None:
        parts = urllib.parse.urlsplit(ws_url)
        scheme = {"ws": "http", "wss": "https"}[parts.scheme]
        self.base = f"{scheme}://{parts.netloc}"
        self.token = token

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        token: str | None = "",
        headers: dict | None = None,
        data: bytes | None = None,
    ) -> tuple[int, object]:
        """`token` "" sends the suite's token, None sends none; `data` is a raw body instead
        of `body` as JSON. The reply's headers are kept in `last_headers`."""
        if data is None and body is not None:
            data = json.dumps(body).encode()
        sent = {
            "Content-Type": "application/json",
            **credential(self.token if token == "" else token),
            **(headers or {}),
        }
        req = urllib.request.Request(self.base + path, data, sent, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                raw, status, self.last_headers = response.read(), response.status, response.headers
        except urllib.error.HTTPError as exc:
            raw, status, self.last_headers = exc.read(), exc.code, exc.headers
        kind = self.last_headers.get("content-type", "")
        return status, (json.loads(raw) if "json" in kind else raw.decode())


# What a Python (or other language's) value looks like in a message meant for people: a
# quoted token ('abc', the quote not an apostrophe), None/True/False, Python type names.
_REPR = re.compile(r"(?<![A-Za-z])'[^'\s]|\b(?:None|True|False|NoneType)\b|`(?:str|int|float|bool|dict|list)`")


def assert_in_words(message: str) -> None:
    """An error message names values as JSON does ("text", true, null), never as Python."""
    assert isinstance(message, str) and message, message
    assert not _REPR.search(message), f"a programming language's notation in {message!r}"


class Contract:
    """schema.json: checks a message or an HTTP body against one of its definitions."""

    def __init__(self, path: Path) -> None:
        self.schema = json.loads(path.read_text())
        self._validators: dict[str, jsonschema.Draft202012Validator] = {}

    def check(self, name: str, body: object, *, many: bool = False) -> None:
        """`body` is a `name` (or, `many`, an array of them); an error's message is in words."""
        validator = self._validators.get(name)
        if validator is None:
            assert name in self.schema["$defs"], f"schema.json defines no {name}"
            validator = jsonschema.Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": self.schema["$defs"]})
            self._validators[name] = validator
        for item in body if many else [body]:
            errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(item)]
            assert not errors, f"not a {name}: {item}: {'; '.join(errors)}"
        if name == "HttpError":
            assert_in_words(body["error"]["message"])
        if name == "ServerMessage" and body.get("type") == "error":
            assert_in_words(body["message"])


class Peer:
    """One raw protocol connection; array frames are flattened into messages, in order."""

    def __init__(self, ws: websockets.ClientConnection, contract: Contract) -> None:
        self.ws, self.contract = ws, contract
        self.pending: collections.deque[dict] = collections.deque()
        self.seen: list[dict] = []

    async def send(self, message: dict) -> None:
        await self.ws.send(json.dumps(message))

    async def next(self, timeout: float = 30.0) -> dict:
        while not self.pending:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            for message in frame if isinstance(frame, list) else [frame]:
                self.contract.check("ServerMessage", message)  # every message fits schema.json
                self.pending.append(message)
        self.seen.append(self.pending[0])
        return self.pending.popleft()

    async def until(self, predicate: Callable[[dict], bool], timeout: float = 60.0) -> dict:
        """The next message that satisfies `predicate`; the ones before it are passed over."""
        async with asyncio.timeout(timeout):
            while not predicate(message := await self.next()):
                pass
        return message

    async def find(self, predicate: Callable[[dict], bool], timeout: float = 60.0) -> dict:
        """The first message ever received that satisfies `predicate`, waiting for it if need be."""
        for message in self.seen:
            if predicate(message):
                return message
        return await self.until(predicate, timeout)

    async def records(
        self, run_id: str, since_seq: int = 0, request_id: str = "sub", **extra: object
    ) -> tuple[dict, list[dict]]:
        """Subscribe; the `subscribed` reply and every record up to and including `complete`."""
        await self.send({"type": "subscribe", "run_id": run_id, "since_seq": since_seq, "id": request_id, **extra})
        reply = await self.until(lambda m: m["type"] in ("subscribed", "error") and m.get("id") == request_id)
        assert reply["type"] == "subscribed", reply
        records = [await self.until(lambda m: m.get("run_id") == run_id and "seq" in m)]
        while records[-1]["type"] != "complete":
            records.append(await self.until(lambda m: m.get("run_id") == run_id and "seq" in m))
        return reply, records

    async def closed(self, timeout: float = 10.0) -> tuple[list[dict], int | None]:
        """Every message until the server closes the connection, and its close code."""
        messages = []
        try:
            while True:
                messages.append(await self.next(timeout))
        except websockets.ConnectionClosed as exc:
            return messages, exc.rcvd.code if exc.rcvd else None


@pytest.fixture(scope="session")
def url(pytestconfig: pytest.Config) -> str:
    return pytestconfig.getoption("--url")


def credential(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.fixture(scope="session")
def token(pytestconfig: pytest.Config) -> str | None:
    return pytestconfig.getoption("--token")


@pytest.fixture(scope="session")
def contract(pytestconfig: pytest.Config) -> Contract:
    return Contract(Path(pytestconfig.getoption("--schema")))


@pytest.fixture(scope="session")
def http(url: str, token: str | None) -> Http:
    return Http(url, token)


@pytest.fixture
async def connect(url: str, token: str | None, contract: Contract) -> AsyncIterator[Callable[..., object]]:
    """Opens peers (the v1 subprotocol unless told otherwise, with the suite's token unless
    told `token=None`) and closes them all at the end."""
    opened: list[websockets.ClientConnection] = []
    suite_token = token

    async def open_peer(
        subprotocols: list[str] | None = None, *, welcome: bool = True, token: str | None = "", **options: object
    ) -> Peer:
        offered = [SUBPROTOCOL] if subprotocols is None else subprotocols
        headers = credential(suite_token if token == "" else token)
        # [] offers no subprotocol: no header at all
        ws = await websockets.connect(url, subprotocols=offered or None, additional_headers=headers, **options)
        opened.append(ws)
        peer = Peer(ws, contract)
        if welcome:
            first = await peer.next()
            assert first["type"] == "welcome" and first["protocol"] == SUBPROTOCOL, first
        return peer

    yield open_peer
    for ws in opened:
        await ws.close()


@pytest.fixture(scope="session")
def station(pytestconfig: pytest.Config) -> dict[str, str]:
    """The launch body's `station` (a fleet node that runs tests), or nothing."""
    name = pytestconfig.getoption("--station")
    return {"station": name} if name else {}


@pytest.fixture
def launch(http: Http, station: dict[str, str]) -> Iterator[Callable[[str], str]]:
    """Starts runs over HTTP; aborts the ones still live at the end of the test."""
    launched: list[str] = []

    def start(test_path: str, serial: str = "SN-CONFORMANCE") -> str:
        body = {"test_path": test_path, "uut_serial": serial, **station}
        status, body = http.request("POST", "/api/runs", body)
        assert status == 201, f"POST /api/runs {test_path!r}: {status} {body}"
        launched.append(body["run_id"])
        return body["run_id"]

    yield start
    for run_id in launched:
        http.request("POST", f"/api/runs/{run_id}/abort")


def _test_path(request: pytest.FixtureRequest, http: Http, option: str) -> str:
    path = request.config.getoption(option)
    station = request.config.getoption("--station")
    status, body = http.request("GET", "/api/tests" + (f"?station={urllib.parse.quote(station)}" if station else ""))
    if status != 200 or path not in body["tests"]:
        pytest.skip(f"the server's test root has no {path!r} (set {option})")
    return path


@pytest.fixture
def plain_test(request: pytest.FixtureRequest, http: Http) -> str:
    return _test_path(request, http, "--plain-test")


@pytest.fixture
def prompt_test(request: pytest.FixtureRequest, http: Http) -> str:
    return _test_path(request, http, "--prompt-test")


@pytest.fixture
def channels_test(request: pytest.FixtureRequest, http: Http) -> str:
    return _test_path(request, http, "--channels-test")
