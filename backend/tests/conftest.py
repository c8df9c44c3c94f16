"""Shared fixtures: a real `litmus-live serve` on 127.0.0.1, real protocol clients, and servers on a
small real disk (a 4 MB tmpfs; mounting needs root, as CI runs here) that a test fills up.

Every server gets the same admin token, TOKEN (name "tests"), before it starts; `Server.request`
and `connect` send it, and so does every CLI or `litmus_live.client` a test starts (through
LITMUS_TOKEN). A test about credentials passes `token=None`, or its own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import websockets

from litmus_live.auth import Role, SqliteIdentityStore, credentials

SUITES = Path(__file__).parent / "suites"
SUBPROTOCOL = "litmus-live.v1"
TEST_USER = "tests"
TOKEN = credentials.new_token()
os.environ["LITMUS_TOKEN"] = TOKEN

# A shell without job control starts a background job with SIGINT ignored, and an ignored signal
# stays ignored across exec: every server and CLI started here would then shrug off the Ctrl-C
# (SIGINT) that several tests send. A handled signal is reset to its default in each child.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def grant_token(data_dir: Path, name: str, role: Role, secret: str | None = None) -> str:
    """Store a token in `data_dir` (replacing one of that name), as `tokens create` does; its secret."""
    secret = secret or credentials.new_token()

    async def grant() -> None:
        store = SqliteIdentityStore.in_data_dir(data_dir)
        try:
            await store.revoke_token(name)
            await store.add_token(name, role, credentials.digest(secret))
        finally:
            store.close()

    # its own loop in its own thread: callable from sync and async tests alike
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, grant()).result()
    return secret


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A real redis-server on a free loopback port, appending to its AOF (fsync on every write)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        cmd = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
               "--appendfsync", "always", "--dir", str(self.directory), "--daemonize", "no"]  # fmt: skip
        with (self.directory / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.command(b"PING") == b"+PONG":
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start: {(self.directory / 'redis.log').read_text()}")

    def command(self, *parts: bytes) -> bytes | None:
        """One command in RESP, the first line of the reply (None when nobody answers)."""
        request = b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
                sock.sendall(request)
                return sock.recv(65536).split(b"\r\n")[0]
        except OSError:
            return None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server per test module; each test starts from an empty database (`redis_url`)."""
    srv = RedisServer(tmp_path_factory.mktemp("redis"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    assert redis_server.command(b"FLUSHALL") == b"+OK"
    return redis_server.url


class Server:
    """A real server process; `kill()` and `start()` simulate a crash and a restart."""

    def __init__(self, data_dir: Path, tests: Path = SUITES, env: dict[str, str] | None = None) -> None:
        self.data_dir, self.tests = data_dir, tests
        self.port = free_port()
        self.env = {**os.environ, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / f"server-{self.port}.log"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self, *, grant: bool = True) -> None:
        """Start (again) and wait for /healthz; `grant=False` keeps the tokens as they are (a full disk)."""
        if grant:
            grant_token(self.data_dir, TEST_USER, Role.ADMIN, TOKEN)
        cmd = [sys.executable, "-m", "litmus_live.cli", "serve", "--port", str(self.port),
               "--data-dir", str(self.data_dir), "--tests", str(self.tests)]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                self.request("GET", "/healthz")  # answered: up (503 on a full disk is up too)
                return
            except (urllib.error.URLError, ConnectionError):
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited: {self.log.read_text()}") from None
                time.sleep(0.05)
        raise RuntimeError(f"server did not start: {self.log.read_text()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def request(
        self, method: str, path: str, body: object = None, *, token: str | None = TOKEN, headers: dict | None = None
    ) -> tuple[int, object]:
        data = None if body is None else json.dumps(body).encode()
        sent = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
        req = urllib.request.Request(self.http + path, data, {**sent, **(headers or {})}, method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                raw = response.read()
                status = response.status
                kind = response.headers.get("content-type", "")
        except urllib.error.HTTPError as exc:
            raw, status, kind = exc.read(), exc.code, exc.headers.get("content-type", "")
        return status, (json.loads(raw) if "json" in kind else raw.decode())

    def get(self, path: str) -> object:
        status, body = self.request("GET", path)
        assert status == 200, body
        return body

    def grant(self, name: str, role: Role = Role.OPERATOR) -> str:
        """A new token `name` of `role` for this server (it may be running); its secret."""
        return grant_token(self.data_dir, name, role)

    def add_user(self, name: str, role: Role = Role.OPERATOR, password: str = "long password") -> None:
        """A person who signs in, added by `users add` as an admin would (the server may be running)."""
        cmd = [sys.executable, "-m", "litmus_live.cli", "users", "add", name, "--role", role.value,
               "--password-stdin", "--data-dir", str(self.data_dir)]  # fmt: skip
        subprocess.run(cmd, input=password + "\n", text=True, check=True, capture_output=True)

    def sign_in(self, name: str, password: str = "long password") -> str:
        """The `Cookie` header of a new browser session of `name`."""
        req = urllib.request.Request(
            self.http + "/api/session",
            json.dumps({"name": name, "password": password}).encode(),
            {"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=20) as response:
            return response.headers["set-cookie"].split(";")[0]

    def launch(self, test_path: str, serial: str = "SN-TEST", *, token: str = TOKEN, **extra: str) -> str:
        body = {"test_path": test_path, "uut_serial": serial, **extra}
        status, body = self.request("POST", "/api/runs", body, token=token)
        assert status == 201, body
        return body["run_id"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "data")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[type]:
    started: list[Server] = []

    def make(**kwargs: object) -> Server:
        srv = Server(tmp_path / f"data{len(started)}", **kwargs)
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()


async def connect(url: str, *, token: str | None = TOKEN, **kwargs: object) -> websockets.ClientConnection:
    if token:
        kwargs.setdefault("additional_headers", {"Authorization": f"Bearer {token}"})
    kwargs.setdefault("subprotocols", [SUBPROTOCOL])
    kwargs.setdefault("open_timeout", 30)  # a shared, loaded machine can be slow to start a server
    ws = await websockets.connect(url, **kwargs)
    welcome = json.loads(await ws.recv())
    assert welcome["type"] == "welcome", welcome
    return ws


async def receive(ws: websockets.ClientConnection, timeout: float = 20.0) -> list[dict]:
    """The messages of the next frame (one object, or an array of them)."""
    frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return frame if isinstance(frame, list) else [frame]


async def collect_run(ws: websockets.ClientConnection, run_id: str, since_seq: int = 0) -> list[dict]:
    """Subscribe and gather the run's log records up to and including `complete`."""
    await ws.send(json.dumps({"type": "subscribe", "run_id": run_id, "since_seq": since_seq}))
    records: list[dict] = []
    while True:
        for message in await receive(ws):
            if message["type"] == "error":
                raise AssertionError(message)
            if "seq" in message:
                records.append(message)
                if message["type"] == "complete":
                    return records


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], check=False, capture_output=True
    )
    assert mounted.returncode == 0, f"these tests mount a 4 MB tmpfs (as root): {mounted.stderr.decode()}"
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=True)


@pytest.fixture
def control(tmp_path: Path) -> Path:
    path = tmp_path / "control"
    path.mkdir()
    return path


@pytest.fixture
def fault_server(small_disk: Path, control: Path, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Servers whose data dir is the small disk (their logs are kept off it, so they can always log)."""
    started: list[Server] = []

    def make(**env: str) -> Server:
        server = Server(small_disk / "data", env={"LITMUS_FAULT_CONTROL": str(control), **env})
        server.log = tmp_path / f"server-{server.port}.log"  # off the small disk, so it can always log
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()
