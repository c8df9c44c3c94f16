"""The old way: a client that polls for new state every 200 ms, beside one WebSocket subscriber.

A pytest process prints a line stamped `t=<epoch>` 1,000 times a second. The poller (another
process) asks GET /api/runs/{id} and then GET /api/runs/{id}/output (the whole log) every
200 ms, as the peers we replace do; a line's latency is from its stamp to the poll that first
returned it. Push: the latency workload's subscriber on the same kind of run. Both are
measured over consecutive windows of one run each, with the server's CPU in each window.
"""

from __future__ import annotations

import bisect
import itertools
import math
import statistics
import time
from pathlib import Path

import paced
from clients import POLL_PERIOD, Client
from server import Server, workdir
from station import Station
from table import Row

from workloads import repeats

RATE = 1000
STARTUP = 1.5  # from the launch until the test is printing and the poller is polling


def run(quick: bool) -> list[Row]:
    window, n = (1.0 if quick else 3.0), repeats(quick)
    with workdir() as tmp:
        station = Station(Path(tmp) / "tests")
        test = station.paced(RATE, paced.emission_seconds(window, n))
        with Server(Path(tmp), station.root) as server:
            alone = statistics.median(_cpu_alone(server, test, window, n))
            polled = _poll(server, test, window, n)
            pushed = paced.measure(server, 1, rate=RATE, window=window, repeats=n, launch=lambda: server.launch(test))
    label = f"1 client, {RATE:,} lines/s, poll every {POLL_PERIOD * 1e3:.0f} ms"
    figures = (
        ("emit→seen p50", "ms", [w.p50 * 1e3 for w in polled], [w.p50 * 1e3 for w in pushed]),
        ("emit→seen p99", "ms", [w.p99 * 1e3 for w in polled], [w.p99 * 1e3 for w in pushed]),
        ("server CPU", "%", [w.server_cpu * 100 for w in polled], [w.server_cpu * 100 for w in pushed]),
        (f"server CPU above the run alone ({alone * 100:.0f}%)", "%",
         [(w.server_cpu - alone) * 100 for w in polled], [(w.server_cpu - alone) * 100 for w in pushed]),
    )  # fmt: skip
    return [
        Row("polling", f"{name}, polling ({label})", unit, mine,
            against=f"push {_text(statistics.median(push), unit)}",
            ratio=_ratio(statistics.median(mine), statistics.median(push)))
        for name, unit, mine, push in figures
    ]  # fmt: skip


def _cpu_alone(server: Server, test: str, window: float, n: int) -> list[float]:
    """Server CPU in each window of the same run with no client at all: the cost of ingest."""
    run_id, started = server.launch(test)
    cpu = _cpu_at([started + STARTUP + i * window for i in range(n + 1)], server)
    server.wait_run_complete(run_id, timeout=60)
    return [(after - before) / window for before, after in itertools.pairwise(cpu)]


def _cpu_at(times: list[float], server: Server) -> list[float]:
    cpu = []
    for t in times:
        time.sleep(max(0.0, t - time.time()))
        cpu.append(server.cpu_seconds())
    return cpu


def _poll(server: Server, test: str, window: float, n: int) -> list[paced.Window]:
    with Client("poll", server.url, timeout=paced.emission_seconds(window, n) + 30) as poller:
        run_id, started = server.launch(test)
        poller.follow(run_id)
        bounds = [started + STARTUP + i * window for i in range(n + 1)]
        cpu = _cpu_at(bounds, server)
        result = poller.result()
    latencies: list[list[float]] = [[] for _ in range(n)]
    for emitted, latency in zip(result["emitted"], result["latency"], strict=True):
        if bounds[0] <= emitted < bounds[-1]:
            latencies[bisect.bisect_right(bounds, emitted) - 1].append(latency)
    return [_window(sorted(lat), window, cpu[i + 1] - cpu[i]) for i, lat in enumerate(latencies)]


def _window(latencies: list[float], window: float, busy: float) -> paced.Window:
    expected = round(RATE * window)
    if len(latencies) < expected * 0.9:
        raise RuntimeError(f"the poller saw {len(latencies)} of about {expected} lines emitted in a window")
    return paced.Window(
        deliveries=len(latencies) / window,
        p50=_percentile(latencies, 50),
        p99=_percentile(latencies, 99),
        completeness=len(latencies) / expected,
        server_cpu=busy / window,
        load_cpu=math.nan,
        commit_cpu=math.nan,
    )


def _percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[max(0, math.ceil(q / 100 * len(sorted_values)) - 1)]


def _text(value: float, unit: str) -> str:
    return f"{value:.2f} ms" if unit == "ms" else f"{value:.1f}%"


def _ratio(mine: float, push: float) -> str:
    return f"{mine / push:.1f}x push" if push > 0 else "push costs nothing measurable"
