"""The fleet beside a single node, in one run: 1 run x 1,000 events/s to 100 and 500 viewers.

Single node: `litmus-live serve` on SQLite, every viewer on it. Fleet: redis-server, a
station node that runs the test, and 1, 2 or 3 viewer nodes sharing the viewers evenly. For
each: deliveries/s, p50/p99 emit→receive, and server CPU per delivery (the fleet's counts
Redis and every node). Then the latency Redis adds (1 viewer, single node vs through a viewer
node), and catch-up of a finished run from SQLite vs from Redis through a viewer node.
"""

from __future__ import annotations

import asyncio
import math
import statistics
from pathlib import Path

import fleet
import paced
import records
from fleet import Node, Redis
from litmus_live.store.redis import RedisStore
from server import Server, workdir
from station import Station
from subscribers import Subscribers
from table import Row, at_least, below

from workloads import repeats

RATE = 1000
VIEWERS = (100, 500)
NODES = (1, 2, 3)


def run(quick: bool) -> list[Row]:
    window, n = (1.5 if quick else 3.0), repeats(quick)
    plan = {"rate": RATE, "window": window, "repeats": n}
    with workdir() as tmp:
        root = Path(tmp)
        station = Station(root / "tests")
        test = station.paced(RATE, paced.emission_seconds(window, n))
        with Server(root / "single", station.root) as single:
            launch = lambda: single.launch(test)  # noqa: E731
            alone = {c: fleet.measure(single, [single], None, c, **plan, launch=launch) for c in (1, *VIEWERS)}
        with Redis(root / "redis") as redis, Node(root / "a", station.root, redis, "bench-a") as a:
            nodes = [Node(root / f"v{i}", station.root, redis) for i in NODES]
            for node in nodes:
                node.__enter__()
            try:
                spread = {
                    (c, k): fleet.measure(a, nodes[:k], redis, c, **plan, launch=lambda: a.launch(test))
                    for k in NODES for c in VIEWERS
                }  # fmt: skip
                through = fleet.measure(a, nodes[:1], redis, 1, **plan, launch=lambda: a.launch(test))
                catchup = _catch_up_both(root, station.root, (redis, nodes[0]), 50_000 if quick else 200_000, n)
            finally:
                for node in nodes:
                    node.__exit__(None, None, None)
    return [*_delivery_rows(alone, spread), *_latency_rows(alone[1], through), *catchup]


Windows = list[fleet.Window]


def _delivery_rows(alone: dict[int, Windows], spread: dict[tuple[int, int], Windows]) -> list[Row]:
    rows = []
    for clients in VIEWERS:
        base = alone[clients]
        per_cpu = statistics.median(_ratio(w.deliveries, w.fleet_cpu) for w in base)
        rows += _config_rows(f"{clients} viewers, 1 node (SQLite)", base)
        for k in NODES:
            windows = spread[(clients, k)]
            rows += _config_rows(f"{clients} viewers over {k} viewer node{'s' * (k > 1)} (Redis)", windows)
            fleet_per_cpu = [_ratio(w.deliveries, w.fleet_cpu) for w in windows]
            node_per_cpu = [_ratio(w.deliveries, w.viewer_cpu) for w in windows]
            rows.append(Row("fleet", f"deliveries per CPU-s, whole fleet, {clients} viewers / {k} nodes", "",
                            fleet_per_cpu, against=f"single node {per_cpu:,.0f}",
                            ratio=f"{_ratio(statistics.median(fleet_per_cpu), per_cpu):.2f}x single"))  # fmt: skip
            rows.append(Row("fleet", f"deliveries per CPU-s, viewer nodes, {clients} viewers / {k} nodes", "",
                            node_per_cpu, at_least(0.7 * per_cpu)))  # fmt: skip
    return rows


def _ratio(a: float, b: float) -> float:
    """a / b; infinite when b is 0 (a window in which an overloaded machine delivered nothing)."""
    return a / b if b else math.inf


def _config_rows(label: str, windows: list[fleet.Window]) -> list[Row]:
    cost = [_ratio(w.fleet_cpu, w.deliveries) * 1e6 for w in windows]
    return [
        Row("fleet", f"deliveries/s, {label}", "", [w.deliveries for w in windows]),
        Row("fleet", f"p50, {label}", "ms", [w.p50 * 1e3 for w in windows]),
        Row("fleet", f"p99, {label}", "ms", [w.p99 * 1e3 for w in windows]),
        Row("fleet", f"server CPU per delivery, {label}", "µs", cost),
    ]


def _latency_rows(alone: list[fleet.Window], through: list[fleet.Window]) -> list[Row]:
    rows = []
    for name, pick in (("p50", lambda w: w.p50), ("p99", lambda w: w.p99)):
        base = statistics.median(pick(w) for w in alone) * 1e3
        added = [pick(w) * 1e3 - base for w in through]
        target = below(2.0) if name == "p50" else None
        rows.append(Row("fleet", f"emit→receive {name}, 1 viewer, through Redis and a viewer node", "ms",
                        [pick(w) * 1e3 for w in through], against=f"single node {base:.2f} ms"))  # fmt: skip
        rows.append(Row("fleet", f"emit→receive {name} added by Redis (fleet minus single node)", "ms", added, target))
    return rows


def _catch_up_both(root: Path, tests: Path, fleet_of: tuple[Redis, Server], events: int, n: int) -> list[Row]:
    redis, viewer = fleet_of
    log = records.print_heavy_run(events)
    run_sqlite, total = log[0].run_id, len(log)
    asyncio.run(records.write(root / "catchup" / "data" / "litmus.sqlite3", log))
    run_redis = records.print_heavy_run(events)
    asyncio.run(_write_redis(redis.url, run_redis))
    # first: a server started later hands its own credential to the clients (server.credential)
    from_redis = [_catch_up(viewer, run_redis[0].run_id, total) for _ in range(n)]
    with Server(root / "catchup", tests, data_dir=root / "catchup" / "data") as single:
        from_sqlite = [_catch_up(single, run_sqlite, total) for _ in range(n)]
    base = statistics.median(total / s for s in from_sqlite)
    return [
        Row("fleet", f"catch-up of {total:,} records from SQLite, 1 node (events/s)", "",
            [total / s for s in from_sqlite]),
        Row("fleet", f"catch-up of {total:,} records from Redis via a viewer node (events/s)", "",
            [total / s for s in from_redis], against=f"SQLite {base:,.0f}",
            ratio=f"{statistics.median(total / s for s in from_redis) / base:.2f}x SQLite"),
    ]  # fmt: skip


async def _write_redis(url: str, log: list) -> None:
    store = RedisStore(url, node="bench-writer")
    await store.open()
    try:
        await records.append_all(store, log)
    finally:
        await store.close()


def _catch_up(server: Server, run_id: str, total: int) -> float:
    with Subscribers(server.ws_url, 1, timeout=300) as subscriber:
        subscriber.subscribe(run_id)
        results = subscriber.results()
    if results.completed != 1 or results.records != total:
        raise RuntimeError(f"client got {results.records} of {total} records; errors: {results.errors}")
    return results.t_done[0] - results.t_sub[0]
