"""Fan-out with auth on beside the same fan-out with auth off, in one run: N subscribers to one
run emitting at a fixed rate, each subscriber sending an API token at the upgrade.

Authentication happens once per connection (the token's digest looked up at the upgrade), so
the target is no measurable change: the figures are shown as ratios of auth off, level by level.
"""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import paced
from server import Server, workdir
from station import Station
from table import Row

from workloads import repeats
from workloads.fanout import FIGURES, text

RATE = 1000


def run(quick: bool) -> list[Row]:
    window = 1.5 if quick else 3.0
    levels = (1, 10, 100) if quick else (1, 10, 100, 500)
    n = repeats(quick)
    rows = []
    with workdir() as tmp:
        station = Station(Path(tmp) / "tests")
        seconds = paced.emission_seconds(window, n)
        test = station.paced(RATE, seconds)
        plan = {"rate": RATE, "window": window, "repeats": n}
        # auth off first: the server started last leaves its token in LITMUS_TOKEN for every client
        with Server(Path(tmp) / "off", station.root, auth=False) as off, Server(Path(tmp) / "on", station.root) as on:
            for clients in levels:
                try:
                    with_auth = paced.measure(on, clients, **plan, launch=lambda: on.launch(test))
                    without = paced.measure(off, clients, **plan, launch=lambda: off.launch(test))
                except (RuntimeError, TimeoutError, OSError) as exc:  # the other levels still count
                    rows.append(Row("fan-out auth", f"{clients} subs", "", error=f"{type(exc).__name__}: {exc}"))
                    continue
                rows += _rows(clients, with_auth, without)
    return rows


def _rows(clients: int, on: list[paced.Window], off: list[paced.Window]) -> list[Row]:
    label = f"auth on, {clients} sub{'s' if clients > 1 else ''} at {RATE:,}/s"
    rows = []
    for name, unit, pick in FIGURES:
        mine, bare = [pick(w) for w in on], [pick(w) for w in off]
        ratio = statistics.median(mine) / statistics.median(bare) if statistics.median(bare) else math.nan
        against = f"auth off {text(statistics.median(bare), unit)}"
        rows.append(
            Row("fan-out auth", f"{name}, {label}", unit, mine, against=against, ratio=f"{ratio:.2f}x auth off")
        )
    return rows
