"""The fault drill: real `litmus-live serve` processes put through the faults of PROTOCOL.md §2
and §7, measured from outside, printed as one markdown table (the fault table).

    sudo .venv/bin/python bench/faults.py [--only NAME ...] [--kills 5] [--frames 10000] [--seed N]

Needs root for the small disks (tmpfs mounts). Each case (fault_cases.py) starts its own server
on a free port with its own data dir, drives real pytest runs through it, and reports what the
run's record says (status, reason), what a viewer saw, and how long recovery took. Not part of
`make bench`: it measures truthfulness and recovery, not speed.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import websockets

BENCH = Path(__file__).resolve().parent
SUITES = BENCH.parent / "backend" / "tests" / "suites"
LITMUS = Path(sys.executable).with_name("litmus-live")
SUBPROTOCOL = "litmus-live.v1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Disk:
    """A tmpfs of `size` (and at most `inodes` files) mounted at `path`, filled and freed on demand."""

    def __init__(self, path: Path, size: str = "4m", inodes: int | None = None) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        options = f"size={size}" + (f",nr_inodes={inodes}" if inodes else "")
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], check=True)
        self._filler = path / "filler"

    def fill(self) -> None:
        with self._filler.open("wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise

    def free(self) -> None:
        self._filler.unlink(missing_ok=True)

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], check=False)


class Server:
    """One `litmus-live serve`; start() again after kill() or term() is a restart on the same data."""

    def __init__(self, data_dir: Path, tests: Path, log: Path, **env: str) -> None:
        self.data_dir, self.tests, self.log = data_dir, tests, log
        self.env = {**os.environ, "LITMUS_MESSAGE_RATE": "1000000", "LITMUS_REQUEST_RATE": "100000", **env}
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self) -> float:
        """Start and wait for /healthz to answer; returns the seconds that took."""
        started = time.monotonic()
        cmd = [str(LITMUS), "serve", "--port", str(self.port), "--data-dir", str(self.data_dir),
               "--tests", str(self.tests)]  # fmt: skip
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=self.env)
        while True:
            try:
                self.request("GET", "/healthz")
                return time.monotonic() - started
            except OSError:
                if self.process.poll() is not None or time.monotonic() - started > 30:
                    raise RuntimeError(f"the server did not start; see {self.log}") from None
                time.sleep(0.02)

    @property
    def token(self) -> str:
        return (self.data_dir / "local.token").read_text().strip()

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def term(self, timeout: float = 120) -> float:
        """SIGTERM; the seconds until the process has exited."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout)
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def request(self, method: str, path: str, body: object = None) -> tuple[int, object]:
        headers = {"Content-Type": "application/json"}
        if (self.data_dir / "local.token").exists():
            headers["Authorization"] = f"Bearer {self.token}"
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data, headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            return exc.code, json.loads(raw) if raw.startswith(b"{") else raw.decode()

    def launch(self, test_path: str, serial: str = "SN-DRILL") -> str:
        status, body = self.request("POST", "/api/runs", {"test_path": test_path, "uut_serial": serial})
        if status != 201:
            raise RuntimeError(f"launch of {test_path}: {status} {body}")
        return body["run_id"]

    def tracebacks(self) -> int:
        return self.log.read_text(errors="replace").count("Traceback")


class Viewer:
    """A protocol client that keeps every message, in order."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws, self.seen = ws, []

    @classmethod
    async def of(cls, server: Server, run_id: str | None = None, since_seq: int = 0) -> Viewer:
        ws = await websockets.connect(server.ws, subprotocols=[SUBPROTOCOL], open_timeout=30, max_size=2**24,
                                      additional_headers={"Authorization": f"Bearer {server.token}"})  # fmt: skip
        viewer = cls(ws)
        await viewer.until(lambda m: m["type"] == "welcome")
        if run_id is not None:
            await ws.send(json.dumps({"type": "subscribe", "run_id": run_id, "since_seq": since_seq}))
        return viewer

    async def until(self, predicate: Callable[[dict], bool], timeout: float = 60.0) -> dict:
        for message in self.seen:
            if predicate(message):
                return message
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await self.ws.recv())
                frame = frame if isinstance(frame, list) else [frame]
                self.seen += frame
                for message in frame:
                    if predicate(message):
                        return message

    def records(self) -> list[dict]:
        return [m for m in self.seen if "seq" in m]

    def errors(self) -> list[str]:
        return [m["code"] for m in self.seen if m["type"] == "error"]


def test_root(into: Path) -> Path:
    """The drill's test root: the backend's fault suites and the drill's own tests."""
    root = into / "tests"
    shutil.copytree(SUITES, root, ignore=shutil.ignore_patterns("compat", "__pycache__"))
    shutil.copy(BENCH / "fault_tests.py", root / "test_drill.py")
    return root


def main() -> int:
    import disk_faults  # noqa: PLC0415 - both import this module
    import fault_cases  # noqa: PLC0415

    cases = {**disk_faults.CASES, **fault_cases.CASES}

    parser = argparse.ArgumentParser(description="The Litmus Live fault drill (needs root for tmpfs)")
    parser.add_argument("--only", nargs="+", choices=list(cases), help="run only these cases")
    parser.add_argument("--kills", type=int, default=5, help="kill -9 points in the crash case")
    parser.add_argument("--frames", type=int, default=10_000, help="generated frames in the fuzz case")
    parser.add_argument("--seed", type=int, default=None, help="seed of the crash points and the fuzz")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4))
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="litmus-drill-"))  # kept: each case's server.log is there to read
    root = test_root(tmp)
    for name in args.only or cases:
        print(f"[drill] {name} ...", file=sys.stderr, flush=True)
        started = time.monotonic()
        case_dir = tmp / name
        case_dir.mkdir()
        rows.append(asyncio.run(cases[name](case_dir, root, args, seed)))
        print(f"[drill] {name}: {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    print(fault_cases.table(rows, seed))
    print(f"\nserver logs: {tmp}/<case>/server.log", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
