"""Live delivery to one subscriber: events a second a `websockets` client receives live.

The client connects before the launch and subscribes as soon as the run id is known, while a
pytest process prints N lines as fast as it can; the figure is records received divided by
the time from POST /api/runs to the client holding the complete record.
"""

from __future__ import annotations

from pathlib import Path

from server import Server, workdir
from station import Station
from subscribers import Subscribers
from table import Row, at_least

from workloads import repeats

LINES = 200_000


def run(quick: bool) -> list[Row]:
    with workdir() as tmp:
        station = Station(Path(tmp) / "tests")
        test = station.fast(LINES)
        with Server(Path(tmp), station.root) as server:
            rates = [_deliver_once(server, test) for _ in range(repeats(quick))]
    return [Row("delivery", f"live to 1 subscriber, {LINES:,} lines (events/s)", "", rates, at_least(20_000))]


def _deliver_once(server: Server, test: str) -> float:
    with Subscribers(server.ws_url, 1, timeout=300) as subscriber:
        run_id, started = server.launch(test)
        subscriber.subscribe(run_id)
        results = subscriber.results()
    head = server.run(run_id)["last_seq"]
    if results.completed != 1 or results.records != head:
        raise RuntimeError(f"subscriber got {results.records} of {head} records; errors: {results.errors}")
    return results.records / (results.t_done[0] - started)
