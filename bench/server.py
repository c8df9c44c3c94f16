"""The servers under test, each a real uvicorn process on 127.0.0.1 with its own temp dirs.

`Server` is `litmus-live serve` on a generated test root; `Ceiling` is the bare server of
ceiling.py. Both are driven over HTTP from here and measured from outside (RSS, wall time).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cpus

BENCH = Path(__file__).resolve().parent
LITMUS = Path(sys.executable).with_name("litmus-live")


def credential() -> dict[str, str]:
    """The Authorization header for the server started last (its local credential, in LITMUS_TOKEN)."""
    token = os.environ.get("LITMUS_TOKEN")
    return {"Authorization": f"Bearer {token}"} if token else {}


# The bench measures throughput, not the per-client caps: every load comes from one address.
_UNCAPPED = {"LITMUS_MAX_CONNECTIONS": "100000", "LITMUS_REQUEST_RATE": "1e9", "LITMUS_MESSAGE_RATE": "1e9"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Process:
    """A server process: started pinned, ready once /healthz answers, stopped with SIGINT."""

    def __init__(self, workdir: Path, env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.env = env or {}  # besides the bench's own: settings of the server under test
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"
        self._proc: subprocess.Popen[bytes] | None = None
        self._http: http.client.HTTPConnection | None = None

    def _command(self) -> list[str]:
        raise NotImplementedError

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def __enter__(self) -> _Process:
        log = (self.workdir / "server.log").open("wb")
        env = {**os.environ, **cpus.test_env(), **_UNCAPPED, "NO_PROXY": "*", **self.env}
        self._proc = subprocess.Popen(self._command(), stdout=log, stderr=subprocess.STDOUT, env=env)
        cpus.pin(self._proc.pid, cpus.SERVER)
        self._wait_ready(timeout=20.0)
        self.use()
        return self

    def use(self) -> None:
        """Make this the server whose credential clients started from now on send (threads here,
        processes through the environment); the server started last is, until another is used."""

    def __exit__(self, *exc: object) -> None:
        if self._http is not None:
            self._http.close()
        if self._proc is None:
            return
        self._proc.send_signal(signal.SIGINT)
        try:
            self._proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"server exited with {self._proc.returncode}; see {self.workdir / 'server.log'}")
            try:
                self.get("/healthz")
                return
            except OSError:
                self._http = None
                time.sleep(0.05)
        raise TimeoutError(f"server on port {self.port} not ready after {timeout} s")

    def request(self, method: str, path: str, body: object | None = None) -> tuple[int, object]:
        data = None if body is None else json.dumps(body).encode()
        for attempt in (1, 2):
            if self._http is None:
                self._http = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self._http.request(method, path, data, {"Content-Type": "application/json", **credential()})
                response = self._http.getresponse()
                return response.status, json.loads(response.read() or b"null")
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._http.close()
                self._http = None  # uvicorn closed the idle keep-alive connection: open another
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def get(self, path: str) -> object:
        status, body = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: expected 200, got {status}: {body}")
        return body

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process (all its threads) has used so far."""
        return process_cpu_seconds(self.pid)

    def thread_cpu_seconds(self, name: str) -> float:
        """User + system CPU time of the server's threads named `name` (0 when it has none)."""
        return sum(thread_cpu_seconds(task) for task in Path(f"/proc/{self.pid}/task").iterdir() if _comm(task) == name)

    def rss(self) -> int:
        """The server's resident set size in bytes (VmRSS)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"no VmRSS for pid {self.pid}")


class Server(_Process):
    """`litmus-live serve` with a temp data dir (or `data_dir`) and the test root `tests`."""

    def __init__(
        self, workdir: Path, tests: Path, data_dir: Path | None = None, static_dir: Path | None = None, *,
        auth: bool = True, env: dict[str, str] | None = None,
    ):  # fmt: skip
        super().__init__(workdir, env)
        self.tests = tests
        self.data_dir = data_dir or workdir / "data"
        self.static_dir = static_dir
        self.auth = auth

    def use(self) -> None:
        token_file = self.data_dir / "local.token"
        if token_file.exists():
            os.environ["LITMUS_TOKEN"] = token_file.read_text().strip()

    def _command(self) -> list[str]:
        # the browser workload measures rendering, not signing in: its server asks nobody (loopback)
        static = ["--static-dir", str(self.static_dir), "--auth", "off"] if self.static_dir else []
        if not self.auth and not static:
            static = ["--auth", "off"]
        return [
            str(LITMUS), "serve", "--host", "127.0.0.1", "--port", str(self.port),
            "--data-dir", str(self.data_dir), "--tests", str(self.tests), *static,
        ]  # fmt: skip

    def launch(self, test_path: str) -> tuple[str, float]:
        """Start a run; returns its id and the wall-clock time just before the request."""
        started = time.time()
        status, body = self.request("POST", "/api/runs", {"test_path": test_path, "uut_serial": "BENCH-1"})
        if status != 201:
            raise RuntimeError(f"launch of {test_path!r}: expected 201, got {status}: {body}")
        return body["run_id"], started

    def run(self, run_id: str) -> dict:
        return self.get(f"/api/runs/{run_id}")

    def wait_run_complete(self, run_id: str, timeout: float, every: float = 0.01) -> tuple[float, dict]:
        """Wall-clock time at which `run_id` is no longer live, and its summary then."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            summary = self.run(run_id)
            if not summary["is_live"]:
                return time.time(), summary
            time.sleep(every)
        raise TimeoutError(f"run {run_id} was still live after {timeout} s")

    def wait_last_seq(self, run_id: str, at_least: int, timeout: float, every: float = 0.05) -> dict:
        """The run's summary once its log holds `at_least` records."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            summary = self.run(run_id)
            if summary["last_seq"] >= at_least:
                return summary
            time.sleep(every)
        raise TimeoutError(f"run {run_id} held fewer than {at_least:,} records after {timeout} s")

    def output(self, run_id: str) -> str:
        """The run's whole stdout+stderr log (GET /api/runs/{id}/output), on a connection of its own."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("GET", f"/api/runs/{run_id}/output", headers=credential())
            response = conn.getresponse()
            body = response.read().decode()
        finally:
            conn.close()
        if response.status != 200:
            raise RuntimeError(f"GET output of {run_id}: expected 200, got {response.status}: {body[:200]}")
        return body

    def abort(self, run_id: str) -> None:
        self.request("POST", f"/api/runs/{run_id}/abort")

    def wait_no_live_runs(self, timeout: float, every: float = 0.01) -> float:
        """Wall-clock time at which no run is live any more (its complete record is committed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.get("/healthz")["live_runs"] == 0:
                return time.time()
            time.sleep(every)
        raise TimeoutError(f"a run was still live after {timeout} s")


class Ceiling(_Process):
    """The bare Starlette/uvicorn server of ceiling.py: pre-encoded frames, no store, no hub."""

    def _command(self) -> list[str]:
        return [sys.executable, str(BENCH / "ceiling.py"), "--port", str(self.port)]

    def launch(self, rate: int, seconds: float) -> tuple[str, float]:
        started = time.time()
        status, body = self.request("POST", "/start", {"rate": rate, "seconds": seconds})
        if status != 201:
            raise RuntimeError(f"ceiling start: expected 201, got {status}: {body}")
        return body["run_id"], started


def process_cpu_seconds(pid: int, with_children: bool = False) -> float:
    """utime + stime of `pid`; with_children adds those of the children it has waited for."""
    return _cpu_seconds(Path(f"/proc/{pid}/stat"), with_children)


def thread_cpu_seconds(task: Path) -> float:
    """utime + stime of one thread, `task` being its /proc/<pid>/task/<tid> folder (0 once it ended)."""
    try:
        return _cpu_seconds(task / "stat")
    except OSError:
        return 0.0


def _cpu_seconds(stat: Path, with_children: bool = False) -> float:
    fields = stat.read_text().rpartition(")")[2].split()
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if with_children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def _comm(task: Path) -> str:
    try:
        return (task / "comm").read_text().strip()
    except OSError:
        return ""


def workdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="litmus-bench-")
