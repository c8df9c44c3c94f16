"""Memory: the server's RSS with idle subscribers (100 in quick mode, 500 in full).

Each repeat starts a fresh server (freed memory is kept by the allocator, so a second batch
of clients on the same server would look free). A live run prints one line and idles; RSS
is read from /proc before any client connects and once all N (in other processes) are
subscribed to that run.
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


def run(quick: bool) -> list[Row]:
    clients = 100 if quick else 500
    pairs = [_measure(clients) for _ in range(repeats(quick))]
    return [
        Row("memory", "server RSS, no subscriber", "MB", [before / 2**20 for before, _ in pairs]),
        Row("memory", f"server RSS, {clients} idle subscribers", "MB", [after / 2**20 for _, after in pairs]),
        Row("memory", "RSS per idle subscriber", "KB", [(after - before) / clients / 1024 for before, after in pairs]),
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
