"""Fan-out with its ceiling: N subscribers to one run emitting at a fixed rate.

Ours: Litmus Live with a pytest process printing stamped lines. Ceiling: ceiling.py, a bare
Starlette/uvicorn server pushing the same events, pre-encoded, batched per 2 ms tick, to the
same clients. Ours is shown as a ratio of the ceiling. At 1 and 10 subscribers ours runs also
with a wider commit window, beside the same ceiling: the CPU that window saves (fsyncs) and
the latency it costs. Each repeat is one window of a run of its own, and the servers take
their turns repeat by repeat (ours, the ceiling, the wide one, then ours again), so a shared
machine whose speed drifts over the minute moves every side's figures alike.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from pathlib import Path

import paced
from server import Ceiling, Server, workdir
from station import Station
from table import Row

from workloads import repeats

RATE = 1000
# The other side of the commit window's trade (LITMUS_COMMIT_WINDOW): a wider flowing width
# (fewer fsyncs, later) at the levels where the window is most of the latency.
WIDE_WINDOW = "0.005"
WIDE_LEVELS = (1, 10)
# What the ratios to the ceiling must be: (figure, subscribers) -> (bound, is_floor).
TARGETS = {
    ("server CPU", 1): (1.5, False),
    ("server CPU", 10): (1.2, False),
    ("p99", 1): (1.2, False),
    ("p99", 10): (1.2, False),
    ("p99", 100): (1.2, False),
    ("deliveries/s", 500): (1.5, True),
}
P99_AT_500 = 100.0  # ms, absolute


def run(quick: bool) -> list[Row]:
    window = 1.5 if quick else 3.0
    levels = (1, 10, 100, 500)  # quick mode measures 500 once
    n = repeats(quick)
    rows = []
    with workdir() as tmp:
        station = Station(Path(tmp) / "tests")
        seconds = paced.emission_seconds(window, 1)
        test = station.paced(RATE, seconds)
        wide_env = {"LITMUS_COMMIT_WINDOW": WIDE_WINDOW}
        with (
            Server(Path(tmp) / "ours", station.root) as ours,
            Server(Path(tmp) / "wide", station.root, env=wide_env) as wide,
            Ceiling(Path(tmp) / "ceiling") as ceiling,
        ):
            sides: dict[str, Side] = {
                "ours": (ours, lambda: ours.launch(test)),
                "ceiling": (ceiling, lambda: ceiling.launch(RATE, seconds)),
                "wide": (wide, lambda: wide.launch(test)),
            }
            for clients in levels:
                names = ("ours", "ceiling", "wide") if clients in WIDE_LEVELS else ("ours", "ceiling")
                turns = 1 if quick and clients == 500 else n
                try:
                    windows = _in_turn({name: sides[name] for name in names}, clients, window, turns)
                except (RuntimeError, TimeoutError, OSError) as exc:  # the other levels still count
                    rows.append(_failed(f"{clients} subs at {RATE:,}/s", exc))
                    continue
                rows += _rows(clients, windows["ours"], windows["ceiling"])
                if "wide" in windows:
                    rows += _rows(clients, windows["wide"], windows["ceiling"], window=WIDE_WINDOW)
    return rows


Side = tuple[Server | Ceiling, Callable[[], tuple[str, float]]]


def _in_turn(sides: dict[str, Side], clients: int, window: float, turns: int) -> dict[str, list[paced.Window]]:
    """`turns` windows of each side, each of a run of its own, the sides taking turns."""
    windows: dict[str, list[paced.Window]] = {name: [] for name in sides}
    for _ in range(turns):
        for name, (server, launch) in sides.items():
            server.use()  # the clients started now sign in to this one
            windows[name] += paced.measure(server, clients, rate=RATE, window=window, repeats=1, launch=launch)
    return windows


def _failed(label: str, exc: Exception) -> Row:
    return Row("fan-out", label, "", error=f"{type(exc).__name__}: {exc}")


# what each window of a paced run is judged by: (figure, unit, how it is read from a window)
FIGURES = (
    ("deliveries/s", "", lambda w: w.deliveries),
    ("p50", "ms", lambda w: w.p50 * 1e3),
    ("p99", "ms", lambda w: w.p99 * 1e3),
    ("server CPU", "%", lambda w: w.server_cpu * 100),
)
LOAD = ("subscriber processes' CPU", "%", lambda w: w.load_cpu * 100)


def _rows(clients: int, ours: list[paced.Window], ceiling: list[paced.Window], window: str = "") -> list[Row]:
    """The figures of one level against the ceiling's; `window`: ours ran with that commit
    window (LITMUS_COMMIT_WINDOW), not the default, and shows latency and CPU only."""
    label = f"{clients} sub{'s' if clients > 1 else ''} at {RATE:,}/s"
    label += f", LITMUS_COMMIT_WINDOW={window}" if window else ""
    figures = FIGURES[1:] if window else (*FIGURES, LOAD)  # every server delivers all: no deliveries row
    rows = []
    for name, unit, pick in figures:
        mine, bare = [pick(w) for w in ours], [pick(w) for w in ceiling]
        ratio = statistics.median(mine) / statistics.median(bare) if statistics.median(bare) else math.nan
        against = f"ceiling {text(statistics.median(bare), unit)}"
        verdict = f"{ratio:.2f}x ceiling{_judge(ratio, TARGETS.get((name, clients)))}"
        if name == "p99" and clients == 500:
            met = statistics.median(mine) < P99_AT_500
            verdict += f" (< {P99_AT_500:.0f} ms: {'ok' if met else 'MISSED'})"
        rows.append(Row("fan-out", f"{name}, {label}", unit, mine, against=against, ratio=verdict))
        if name == "server CPU":
            rows.append(_commit_row(label, ours))
    return rows


def _commit_row(label: str, ours: list[paced.Window]) -> Row:
    """What of the server's CPU its durable commits took (the ceiling commits nothing)."""
    share = statistics.median(w.commit_cpu for w in ours) / statistics.median(w.server_cpu for w in ours)
    name = f"server CPU in durable commits (its store-write thread), {label}"
    return Row("fan-out", name, "%", [w.commit_cpu * 100 for w in ours], ratio=f"{share:.0%} of the server's")


def _judge(ratio: float, target: tuple[float, bool] | None) -> str:
    if target is None:
        return ""
    bound, is_floor = target
    met = ratio >= bound if is_floor else ratio <= bound
    return f" ({'≥' if is_floor else '≤'} {bound}x: {'ok' if met else 'MISSED'})"


def text(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:.2f} ms"
    return f"{value:,.0f}{unit}"
