"""A fleet under strain, on real redis-server processes: Redis stopped under a reading node,
Redis replaced by an empty one under live viewers, many commits summarised for the active-runs
feed of every node, and the watchers of a run counted on every node (so its wakes are spaced
as on one node)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
import redis
from conftest import TOKEN, RedisServer, free_port
from test_fleet import _close_viewers, grant_fleet_token, launch, node, records, viewers  # noqa: F401

from litmus_live import client
from litmus_live import protocol as p
from litmus_live.cli import RESYNC_LINE
from litmus_live.events import Prompt
from litmus_live.fleet.audience import Audience
from litmus_live.store.redis import FEED, FEED_INTERVAL, RUNS, RedisStore

# _close_viewers (autouse, imported): the viewers a test here opens are closed as it ends, in
# its own event loop, as in test_fleet, not later in another test's


class Pair:
    """A station A and a viewer node on a redis-server of their own, shared by the tests here
    that stop, restart or empty that Redis: each starts with `ready()`."""

    def __init__(self, directory: Path) -> None:
        self.store = RedisServer(directory / "redis")
        self.store.start()
        self.station, self.viewer = node(directory, self.store, "A"), node(directory, self.store)

    async def ready(self) -> None:
        """Both nodes healthy and the station listed online (after an emptied Redis, once it beat)."""
        for srv in (self.station, self.viewer):
            await healthy(srv)
        deadline = time.monotonic() + 30
        while not any(s["name"] == "A" and s["online"] for s in self.viewer.get("/api/stations")):
            assert time.monotonic() < deadline, "station A did not come back"
            await asyncio.sleep(0.1)

    def stop(self) -> None:
        self.station.stop()
        self.viewer.stop()
        self.store.stop()


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    shared = Pair(tmp_path_factory.mktemp("pair"))
    yield shared
    shared.stop()


async def healthy(srv, timeout: float = 30.0) -> None:
    """Until the node's /healthz answers 200 (polled politely)."""
    deadline = time.monotonic() + timeout
    while srv.request("GET", "/healthz")[0] != 200:
        assert time.monotonic() < deadline, "the node did not recover"
        await asyncio.sleep(0.1)


async def fed_until_committed(client: redis.Redis, run_id: str, timeout: float = 20.0) -> list[dict]:
    """The run's summaries in the feed, once the newest is the one committed (the run is quiet:
    it waits at a prompt, so this is the last one held back, if any)."""
    deadline = time.monotonic() + timeout
    while True:
        committed = msgspec.json.decode(client.hget(RUNS, run_id))["last_seq"]
        fed = [msgspec.json.decode(f[b"s"]) for _, f in client.xrange(FEED) if f[b"run"].decode() == run_id]
        if fed and fed[-1]["last_seq"] == committed:
            return fed
        assert time.monotonic() < deadline, f"the feed stopped at seq {fed[-1]['last_seq']}, committed {committed}"
        await asyncio.sleep(0.1)


async def test_a_subscribe_while_redis_is_stopped_is_told_store_unavailable_then_works(pair: Pair) -> None:
    await pair.ready()
    store, viewer = pair.store, pair.viewer
    try:
        run_id = launch(viewer, "test_pass.py", station="A")
        (whole,) = await viewers(run_id, viewer)
        await whole.complete()
        (late,) = await viewers(None, viewer)
        store.kill()
        await late.send({"type": "subscribe", "id": "s1", "run_id": run_id})
        refused = await late.until(lambda m: m["type"] == "error" and m.get("id") == "s1")
        await late.send({"type": "subscribe", "id": "s2", "run_id": run_id, "since_seq": 2})
        again = await late.until(lambda m: m["type"] == "error" and m.get("id") == "s2")
        store.start()
        await healthy(viewer)
        await late.send({"type": "subscribe", "id": "s3", "run_id": run_id})
        await late.complete()
    finally:
        if store.command(b"PING") is None:
            store.start()
    for told in (refused, again):
        assert (told["code"], told["run_id"]) == ("store_unavailable", run_id), told
        assert "cannot be reached" in told["message"], told
    assert records(late) == records(whole)


async def test_redis_losing_a_live_runs_history_pushes_a_resync_to_its_live_viewers(pair: Pair) -> None:
    await pair.ready()
    store, station, viewer = pair.store, pair.station, pair.viewer
    try:
        run_id = launch(viewer, "test_prompts.py::test_setup", station="A")
        on_v, on_a = await viewers(run_id, viewer, station)
        insert = (await on_v.prompt("insert_uut"), await on_a.prompt("insert_uut"))[1]
        epoch = (await on_v.until(lambda m: m["type"] == "subscribed"))["epoch"]
        # the bundled client and `litmus-live watch` watch it too, each holding the prompt
        in_script = asyncio.Event()
        script = asyncio.create_task(_watched_by_the_client(viewer, run_id, in_script))
        printer = subprocess.Popen([sys.executable, "-m", "litmus_live.cli", "watch", run_id, "--server", viewer.http,
                                    "--show-seq", "--token", TOKEN], stdout=subprocess.PIPE, text=True)  # fmt: skip
        printed = [await asyncio.to_thread(printer.stdout.readline)]
        while "? insert_uut" not in printed[-1]:
            printed.append(await asyncio.to_thread(printer.stdout.readline))
        await asyncio.wait_for(in_script.wait(), 30)
        store.kill()  # and started again without its append-only file: an empty Redis
        shutil.rmtree(store.directory / "appendonlydir")
        store.start()
        grant_fleet_token(store.url)  # the fleet's identity went with it
        assert (await on_a.answer(insert, True, "after"))["type"] == "prompt_accepted"
        # no subscribe sent: each live viewer is told its records are of a history Redis lost
        pushed = [await v.until(lambda m: m["type"] == "subscribed" and m["resync"]) for v in (on_v, on_a)]
        await on_v.answer(await on_v.prompt("pick_bench"), "bench_01", "pick")
        await on_v.answer(await on_v.prompt("chamber_temp"), "21", "temp")
        ends = [await v.complete() for v in (on_v, on_a)]
        (late,) = await viewers(run_id, viewer)
        await late.complete()
        watched = await asyncio.wait_for(script, 30)
        printed += (await asyncio.to_thread(printer.communicate, timeout=30))[0].splitlines()
    finally:
        if store.command(b"PING") is None:
            store.start()
        grant_fleet_token(store.url)
    for told in pushed:
        assert (told["since_seq"], told.get("id")) == (0, None) and told["epoch"] not in ("", epoch), told
    assert ends[0]["status"] == ends[1]["status"] == "PASSED"
    held = records(on_v)  # what a client holds that drops its records on a resync
    assert [r["seq"] for r in held] == list(range(1, len(held) + 1)) and held[0]["data"]["kind"] == "run_created"
    assert held == records(on_a) == records(late)
    resync = next(i for i, m in enumerate(watched) if isinstance(m, p.Subscribed) and m.resync)
    again = [m for m in watched[resync:] if not isinstance(m, p.Subscribed)]
    assert [msgspec.json.decode(msgspec.json.encode(m)) for m in again] == held
    told = printed.index(RESYNC_LINE)  # `litmus-live watch` says so, then prints the run again from seq 1
    assert printed[told + 1].startswith("#1 ") and printed[-1].endswith("== PASSED (exit code 0)")
    assert printer.returncode == 0 and [line.split()[0] for line in printed[told + 1 : told + 3]] == ["#1", "#2"]


async def _watched_by_the_client(srv, run_id: str, holding_prompt: asyncio.Event) -> list[object]:
    """What the bundled Python client yields for the run, until its end."""
    async with client.connect(srv.ws, token=TOKEN) as c:
        watched = []
        async for message in c.watch(run_id):
            watched.append(message)
            if isinstance(message, Prompt):
                holding_prompt.set()
        return watched


async def test_the_active_feed_gets_a_summary_per_interval_not_per_commit_and_the_last_one(pair: Pair) -> None:
    await pair.ready()
    viewer = pair.viewer
    client = redis.Redis.from_url(pair.store.url)
    try:
        started = time.monotonic()
        run_id = launch(viewer, "test_burst_then_prompt.py", station="A")
        (on_v,) = await viewers(run_id, viewer)
        (feed,) = await viewers(None, viewer)
        await feed.send({"type": "subscribe_active"})
        await on_v.until(lambda m: m["type"] == "prompt")
        waiting = await feed.until(lambda m: m["type"] == "active_runs" and any(
            r["run_id"] == run_id and r["prompts_waiting"] for r in m["runs"]))  # fmt: skip
        fed = await fed_until_committed(client, run_id)
        elapsed = time.monotonic() - started  # every summary of the run so far was fed within it
        await on_v.answer(await on_v.prompt("go_on"), True, "go")  # the run ends: nothing left live
    finally:
        client.close()
    # about one summary per interval (the first at once, the last held back after it), not one per
    # commit: the run commits hundreds of times. The bound allows two per interval, since on a
    # loaded machine a held-back summary's payment can land just before the next on-time one.
    assert 2 <= len(fed) <= 2 * elapsed / FEED_INTERVAL + 2, (len(fed), elapsed)
    assert len(fed) < fed[-1]["last_seq"] / 20, (len(fed), fed[-1]["last_seq"])
    assert next(r for r in waiting["runs"] if r["run_id"] == run_id)["station"] == "A"


async def test_a_runs_watchers_are_counted_on_every_node_and_a_node_that_stops_watching_drops_out(
    redis_url: str,
) -> None:
    stores = [RedisStore(redis_url, node=name) for name in "XY"]
    for store in stores:
        await store.open()
    x, y = Audience(stores[0], node="X"), Audience(stores[1], node="Y")
    try:
        assert x.count("r", 2) == 2  # nothing heard from Y yet
        y.count("r", 3)
        async with asyncio.timeout(20):
            while (x.count("r", 2), y.count("r", 3), x.count("other", 1)) != (5, 5, 1):
                await asyncio.sleep(0.05)
            # Y's hub no longer asks: Y's count goes stale, then Y takes its entry away
            while x.count("r", 2) != 2 or stores[0].client.hkeys("litmus:audience") != [b"X"]:
                await asyncio.sleep(0.05)
    finally:
        x.stop()
        y.stop()
        for store in stores:
            await store.close()


async def test_a_node_starts_on_a_data_dir_that_does_not_exist_yet(redis_url: str, tmp_path: Path) -> None:
    """As the README starts a fleet: nothing prepared, the node makes its data dir."""
    port, data_dir = free_port(), tmp_path / "fresh" / "data"
    cmd = [sys.executable, "-m", "litmus_live.cli", "serve", "--port", str(port), "--data-dir", str(data_dir),
           "--store", redis_url]  # fmt: skip
    with (tmp_path / "node.log").open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while not (data_dir / "local.token").exists() or not _answers(port):
            assert proc.poll() is None, (tmp_path / "node.log").read_text()[-2000:]
            assert time.monotonic() < deadline, (tmp_path / "node.log").read_text()[-2000:]
            await asyncio.sleep(0.1)
        token = (data_dir / "local.token").read_text().strip()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/stations",
                                         headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as reply:
            listed = json.loads(reply.read())
    finally:
        proc.terminate()
        proc.wait(30)
    assert [s["runs_tests"] for s in listed] == [False]


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as reply:
            return reply.status == 200
    except OSError:
        return False
