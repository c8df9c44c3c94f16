"""Emit-to-receive latency at about 1,000 events a second, for 1 and 10 subscribers.

A pytest process prints a line stamped with time.time() every millisecond (absolute
deadlines, so the rate holds); subscribers in another process take receive time minus the
stamp. Repeats are consecutive windows of one run.
"""

from __future__ import annotations

from pathlib import Path

import paced
from server import Server, workdir
from station import Station
from table import Row, below

from workloads import repeats

RATE = 1000
SUBSCRIBERS = (1, 10)


def run(quick: bool) -> list[Row]:
    window = 2.0 if quick else 5.0
    rows = []
    with workdir() as tmp:
        station = Station(Path(tmp) / "tests")
        test = station.paced(RATE, paced.emission_seconds(window, repeats(quick)))
        with Server(Path(tmp), station.root) as server:
            for clients in SUBSCRIBERS:
                windows = paced.measure(
                    server,
                    clients,
                    rate=RATE,
                    window=window,
                    repeats=repeats(quick),
                    launch=lambda: server.launch(test),
                )
                rows += _rows(clients, windows)
    return rows


def _rows(clients: int, windows: list[paced.Window]) -> list[Row]:
    label = f"{RATE:,}/s, {clients} sub{'s' if clients > 1 else ''}"
    return [
        Row("latency", f"emit→receive p50, {label}", "ms", [w.p50 * 1e3 for w in windows], below(5.0)),
        Row("latency", f"emit→receive p99, {label}", "ms", [w.p99 * 1e3 for w in windows]),
    ]
