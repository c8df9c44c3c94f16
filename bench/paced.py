"""A paced run watched by N subscribers: deliveries a second and emit-to-receive latency.

A run (a pytest process on Litmus Live, the producer on the ceiling) emits `rate` lines a
second, each stamped `t=<epoch>` when emitted. Once every subscriber is receiving live, the
bench opens `repeats` consecutive windows of `window` seconds; each window is one repeat:
records received in it over its length, and latency of the lines emitted in it.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from server import Server
from subscribers import Subscribers

SETTLE = 0.25  # after every client is live, before the first window
COMMIT_THREAD = "store-write"  # the thread of Litmus Live that commits (and fsyncs)
STARTUP = 1.0  # emission time allowed for every client to be receiving live


@dataclass(frozen=True)
class Window:
    deliveries: float  # records received per second, all subscribers together
    p50: float  # seconds
    p99: float
    completeness: float  # latency samples over lines emitted in the window x timed subscribers
    server_cpu: float  # cores busy in the server process during the window
    load_cpu: float  # cores busy in the subscriber processes during the window
    commit_cpu: float  # of server_cpu, its committing thread's ("store-write"; 0 on a server without one)


def emission_seconds(window: float, repeats: int) -> float:
    return STARTUP + SETTLE + window * repeats + 0.5


def measure(
    server: Server, clients: int, *, rate: int, window: float, repeats: int, launch: Callable[[], tuple[str, float]]
) -> list[Window]:
    """Launch (after the clients connect), subscribe everyone, measure `repeats` windows."""
    timeout = emission_seconds(window, repeats) + 30
    with Subscribers(server.ws_url, clients, timed=True, timeout=timeout) as subscribers:
        run_id, _ = launch()
        subscribers.subscribe(run_id)
        start = subscribers.wait_ready() + SETTLE
        bounds = [start + i * window for i in range(repeats + 1)]
        subscribers.windows(bounds)
        cpu = [_cpu_at(t, server, subscribers) for t in bounds]
        results = subscribers.results()
    if results.errors:
        raise RuntimeError(f"subscribers failed: {results.errors}")
    # A server that falls behind leaves lines undelivered at the timeout: they count as infinite
    # latency. When every client got the complete record, every line emitted was delivered (an
    # emitter starved by other load may emit fewer than rate x window in a window).
    expected = round(rate * window * results.timed) if results.completed < clients else 0
    windows = [
        Window(
            deliveries=results.received[i] / window,
            p50=results.percentile(i, 50, expected),
            p99=results.percentile(i, 99, expected),
            completeness=len(results.latencies[i]) / (rate * window * results.timed),
            server_cpu=(cpu[i + 1][0] - cpu[i][0]) / window,
            commit_cpu=(cpu[i + 1][2] - cpu[i][2]) / window,
            load_cpu=(cpu[i + 1][1] - cpu[i][1]) / window,
        )
        for i in range(repeats)
    ]
    print(f"[bench]   {clients} subscribers: {_describe(windows)}", file=sys.stderr, flush=True)
    return windows


def _cpu_at(when: float, server: Server, subscribers: Subscribers) -> tuple[float, float, float]:
    time.sleep(max(0.0, when - time.time()))
    return server.cpu_seconds(), subscribers.cpu_seconds(), server.thread_cpu_seconds(COMMIT_THREAD)


def _describe(windows: list[Window]) -> str:
    return "; ".join(
        f"{w.deliveries:,.0f}/s p50 {w.p50 * 1e3:.2f} ms p99 {w.p99 * 1e3:.2f} ms ({w.completeness:.0%}), "
        f"CPU server {w.server_cpu:.0%} (commits {w.commit_cpu:.0%}) clients {w.load_cpu:.0%}"
        for w in windows
    )


def medians(windows: list[Window]) -> dict[str, float]:
    return {
        "deliveries": statistics.median(w.deliveries for w in windows),
        "p50": statistics.median(w.p50 for w in windows),
        "p99": statistics.median(w.p99 for w in windows),
    }
