"""A fleet under test: one redis-server, a station node and viewer nodes, all real processes.

Every server-side process (Redis and each node) is pinned where the single server is, so a
fleet's figures and a single node's spend the same cores. `measure` is paced.measure with the
subscribers spread over the viewer nodes and the CPU of every server-side process summed.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cpus
import paced
from server import Server, free_port, process_cpu_seconds
from subscribers import Results, Subscribers


class Redis:
    """redis-server on a free loopback port, append-only file fsynced on every write."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Redis:
        cmd = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
               "--appendfsync", "always", "--dir", str(self.workdir), "--daemonize", "no"]  # fmt: skip
        self._proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        cpus.pin(self._proc.pid, cpus.SERVER)
        import redis  # noqa: PLC0415 - only the fleet workloads need the client

        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    client.close()
                    return self
            time.sleep(0.05)
        raise TimeoutError(f"redis-server on port {self.port} not ready")

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(15)

    def cpu_seconds(self) -> float:
        assert self._proc is not None
        return process_cpu_seconds(self._proc.pid)


class Node(Server):
    """`litmus-live serve` as a fleet node: a station (runs the tests) or a viewer node."""

    def __init__(self, workdir: Path, tests: Path, redis: Redis, station: str = "") -> None:
        super().__init__(workdir, tests)
        self.store, self.station = redis.url, station

    def _command(self) -> list[str]:
        station = ["--station", self.station] if self.station else []
        return [*super()._command(), "--store", self.store, *station]

    def launch(self, test_path: str) -> tuple[str, float]:
        started = time.time()
        body = {"test_path": test_path, "uut_serial": "BENCH-1", "station": self.station}
        status, reply = self.request("POST", "/api/runs", body)
        if status != 201:
            raise RuntimeError(f"launch of {test_path!r}: expected 201, got {status}: {reply}")
        return reply["run_id"], started


@dataclass(frozen=True)
class Window:
    deliveries: float  # records received per second, all subscribers on all viewer nodes
    p50: float
    p99: float
    fleet_cpu: float  # cores busy in Redis and every node
    viewer_cpu: float  # cores busy in the viewer nodes only


def measure(
    station: Node,
    viewers: list[Server],
    redis: Redis | None,
    clients: int,
    *,
    rate: int,
    window: float,
    repeats: int,
    launch: Callable[[], tuple[str, float]],
) -> list[Window]:
    """`clients` subscribers spread evenly over `viewers`, `repeats` windows of a paced run."""
    timeout = paced.emission_seconds(window, repeats) + 30
    shares = [clients // len(viewers) + (i < clients % len(viewers)) for i in range(len(viewers))]
    with contextlib.ExitStack() as stack:
        groups = [
            stack.enter_context(Subscribers(v.ws_url, n, timed=True, timeout=timeout))
            for v, n in zip(viewers, shares, strict=True)
        ]
        run_id, _ = launch()
        for group in groups:
            group.subscribe(run_id)
        start = max(group.wait_ready() for group in groups) + paced.SETTLE
        bounds = [start + i * window for i in range(repeats + 1)]
        for group in groups:
            group.windows(bounds)
        cpu = [_cpu_at(t, station, viewers, redis) for t in bounds]
        results = _merge([group.results() for group in groups])
    if results.errors:
        raise RuntimeError(f"subscribers failed: {results.errors}")
    expected = round(rate * window * results.timed) if results.completed < clients else 0
    windows = [
        Window(
            deliveries=results.received[i] / window,
            p50=results.percentile(i, 50, expected),
            p99=results.percentile(i, 99, expected),
            fleet_cpu=(cpu[i + 1][0] - cpu[i][0]) / window,
            viewer_cpu=(cpu[i + 1][1] - cpu[i][1]) / window,
        )
        for i in range(repeats)
    ]
    print(f"[bench]   {clients} subs over {len(viewers)} node(s): {_describe(windows)}", file=sys.stderr, flush=True)
    return windows


def _cpu_at(when: float, station: Node, viewers: list[Server], redis: Redis | None) -> tuple[float, float]:
    time.sleep(max(0.0, when - time.time()))
    viewer = sum(v.cpu_seconds() for v in viewers if v is not station)
    others = station.cpu_seconds() + (redis.cpu_seconds() if redis is not None else 0.0)
    return viewer + others, viewer if viewer else others


def _merge(parts: list[Results]) -> Results:
    merged = parts[0]
    for part in parts[1:]:
        merged.clients += part.clients
        merged.timed += part.timed
        merged.completed += part.completed
        merged.records += part.records
        merged.received = [a + b for a, b in zip(merged.received, part.received, strict=True)]
        merged.latencies = [sorted(a + b) for a, b in zip(merged.latencies, part.latencies, strict=True)]
        merged.errors += part.errors
    return merged


def _describe(windows: list[Window]) -> str:
    return "; ".join(
        f"{w.deliveries:,.0f}/s p50 {w.p50 * 1e3:.2f} ms p99 {w.p99 * 1e3:.2f} ms, CPU {w.fleet_cpu:.0%}"
        for w in windows
    )
