"""Memory: the server's RSS with idle subscribers (100 in quick mode, 500 in full), and per live run.

Each repeat starts a fresh server (freed memory is kept by the allocator, so a second batch
of clients on the same server would look free). A live run prints one line and idles; RSS
is read from /proc before any client connects and once all N (in other processes) are
subscribed to that run. Per live run: after one warm-up run has come and gone, RSS with no
live run and with 10 live runs that each printed a line and sleep.
"""

from __future__ import annotations

import time
from pathlib import Path

from server import Server, workdir
from station import Station
from subscribers import Subscribers
from table import Row

from workloads import repeats

SETTLE = 0.5
LIVE_RUNS = 10


def run(quick: bool) -> list[Row]:
    clients = 100 if quick else 500
    pairs = [_measure(clients) for _ in range(repeats(quick))]
    return [
        Row("memory", "server RSS, no subscriber", "MB", [before / 2**20 for before, _ in pairs]),
        Row("memory", f"server RSS, {clients} idle subscribers", "MB", [after / 2**20 for _, after in pairs]),
        Row("memory", "RSS per idle subscriber", "KB", [(after - before) / clients / 1024 for before, after in pairs]),
        *_per_run(1 if quick else repeats(quick)),  # ten test processes a repeat: one is enough quickly
    ]


def _measure(clients: int) -> tuple[int, int]:
    with workdir() as tmp:
        station = Station(Path(tmp) / "tests")
        with Server(Path(tmp), station.root) as server:
            run_id, _ = server.launch(station.idle(60))
            time.sleep(SETTLE)
            before = server.rss()
            with Subscribers(server.ws_url, clients, timeout=120) as subscribers:
                subscribers.subscribe(run_id)
                subscribers.wait_ready()
                time.sleep(SETTLE)
                after = server.rss()
                subscribers.stop()
                subscribers.results()
            server.request("POST", f"/api/runs/{run_id}/abort")
    return before, after


def _per_run(n: int) -> list[Row]:
    pairs = [_measure_runs() for _ in range(n)]
    return [
        Row("memory", "server RSS, no live run (after one finished)", "MB", [before / 2**20 for before, _ in pairs]),
        Row("memory", f"server RSS, {LIVE_RUNS} live sleeping runs", "MB", [after / 2**20 for _, after in pairs]),
        Row("memory", "RSS per live run", "KB", [(after - before) / LIVE_RUNS / 1024 for before, after in pairs]),
    ]


def _measure_runs() -> tuple[int, int]:
    with workdir() as tmp:
        station = Station(Path(tmp) / "tests")
        with Server(Path(tmp), station.root) as server:
            warm_up, _ = server.launch(station.idle(0))
            server.wait_run_complete(warm_up, timeout=30)
            time.sleep(SETTLE)
            before = server.rss()
            runs = [server.launch(station.idle(60))[0] for _ in range(LIVE_RUNS)]
            for run_id in runs:
                _wait_test_started(server, run_id)
            time.sleep(SETTLE)
            after = server.rss()
            for run_id in runs:
                server.abort(run_id)
            server.wait_no_live_runs(timeout=30)
    return before, after


def _wait_test_started(server: Server, run_id: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while server.run(run_id)["current_step"] is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id} had not started its test after {timeout} s")
        time.sleep(0.05)
