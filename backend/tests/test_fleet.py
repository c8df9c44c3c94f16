"""A fleet on one real redis-server: two station nodes and a viewer node, any node serving any run."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from conftest import SUITES, TEST_USER, TOKEN, RedisServer, Server
from test_auth_session import refusal
from test_prompts import Viewer, kind

from litmus_live.auth import Role, credentials
from litmus_live.fleet.identity import RedisIdentityStore

REPO = Path(__file__).resolve().parents[2]


def grant_fleet_token(url: str, name: str = TEST_USER, role: Role = Role.ADMIN, secret: str = TOKEN) -> str:
    """A token in the fleet's identity store, as every node reads it (default: conftest.TOKEN)."""

    async def grant() -> None:
        store = RedisIdentityStore.from_url(url)
        await store.revoke_token(name)
        await store.add_token(name, role, credentials.digest(secret))

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, grant()).result()
    return secret


def node(directory: Path, redis: RedisServer, station: str = "", tests: Path = SUITES, beat: float = 1.0) -> Server:
    grant_fleet_token(redis.url)
    env = {"LITMUS_STORE": redis.url, "LITMUS_HEARTBEAT": str(beat)}
    if station:
        env["LITMUS_STATION"] = station
    srv = Server(directory / (station or "viewer") / "data", tests=tests, env=env)
    (directory / (station or "viewer")).mkdir(parents=True, exist_ok=True)
    srv.start()
    return srv


class Fleet:
    def __init__(self, directory: Path, redis: RedisServer) -> None:
        self.redis = redis
        self.a = node(directory, redis, "A")
        self.b = node(directory, redis, "B")
        self.v = node(directory, redis)

    @property
    def nodes(self) -> list[Server]:
        return [self.a, self.b, self.v]

    def stop(self) -> None:
        for srv in self.nodes:
            srv.stop()


@pytest.fixture(scope="module")
def fleet(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    f = Fleet(tmp_path_factory.mktemp("fleet"), redis_server)
    yield f
    f.stop()


def launch(through: Server, test_path: str, station: str) -> str:
    body = {"test_path": test_path, "uut_serial": "SN-F", "station": station}
    status, body = through.request("POST", "/api/runs", body)
    assert status == 201, body
    return body["run_id"]


_opened: list[Viewer] = []


@pytest.fixture(autouse=True)
async def _close_viewers() -> AsyncIterator[None]:
    yield
    while _opened:
        await _opened.pop().ws.close()


async def viewers(run_id: str | None, *nodes: Server, tokens: list[str] | None = None) -> list[Viewer]:
    """Protocol clients on `nodes`, subscribed to `run_id`; closed when the test ends."""
    tokens = tokens or [TOKEN] * len(nodes)
    opened = [await Viewer.open(srv, run_id, token) for srv, token in zip(nodes, tokens, strict=True)]
    _opened.extend(opened)
    return opened


def records(viewer: Viewer) -> list[dict]:
    """The records a client holds: those since the last `subscribed` that said resync, if any
    (a client drops what it held of a run on a resync)."""
    told = [i for i, m in enumerate(viewer.seen) if m["type"] == "subscribed" and m.get("resync")]
    return [m for m in viewer.seen[told[-1] + 1 if told else 0 :] if "seq" in m]


async def race(prompt: dict, value: object, contenders: list[Viewer]) -> list[dict]:
    """The same answer from every contender at once; each one's reply."""
    for i, viewer in enumerate(contenders):
        await viewer.send(
            {"type": "prompt_response", "id": f"race-{i}", "run_id": prompt["run_id"],
             "prompt_id": prompt["prompt_id"], "value": value}
        )  # fmt: skip
    return [await v.reply_to(f"race-{i}") for i, v in enumerate(contenders)]


async def test_a_run_on_station_a_is_launched_watched_and_answered_from_every_node(fleet: Fleet) -> None:
    run_id = launch(fleet.v, "test_prompts.py::test_setup", station="A")
    # each contender answers with its own credential, so the record names the winner
    tokens = [grant_fleet_token(fleet.redis.url, f"node-{i}", Role.OPERATOR, credentials.new_token()) for i in range(3)]
    on_a, on_b, on_v = await viewers(run_id, fleet.a, fleet.b, fleet.v, tokens=tokens)

    insert = await on_v.prompt("insert_uut")
    # the run waits at its prompt: the viewer node's tail (from Redis) is the station's (from memory)
    tails = [srv.get(f"/api/runs/{run_id}/tail?lines=50")["lines"] for srv in (fleet.a, fleet.v)]
    assert tails[0] and tails[0] == tails[1], tails
    replies = await race(insert, True, [on_a, on_b, on_v])
    winners = [r for r in replies if r["type"] == "prompt_accepted"]
    losers = [r for r in replies if r["type"] == "error"]
    assert len(winners) == 1 and len(losers) == 2, json.dumps(replies)
    assert all(r["code"] == "prompt_already_answered" for r in losers), losers
    winner = f"node-{winners[0]['id'].split('-')[1]}"
    for viewer in (on_a, on_b, on_v):
        told = await viewer.resolution(insert["prompt_id"])
        assert (told["resolution"], told["who"]) == ("answered", winner)

    bench = await on_b.prompt("pick_bench")
    assert (await on_b.answer(bench, "bench_99", "b-bad"))["code"] == "invalid_answer"
    assert (await on_b.answer(bench, "bench_02", "b-ok"))["type"] == "prompt_accepted"
    temp = await on_b.prompt("chamber_temp")
    assert (await on_b.answer(temp, "-12", "t-ok"))["type"] == "prompt_accepted"

    done = [await v.complete() for v in (on_a, on_b, on_v)]
    assert {c["status"] for c in done} == {"PASSED"}
    logs = [records(v) for v in (on_a, on_b, on_v)]
    assert [r["seq"] for r in logs[2]] == list(range(1, len(logs[2]) + 1))
    assert logs[0] == logs[1] == logs[2]
    assert logs[0][0]["data"]["station"] == "A"
    for srv in fleet.nodes:
        status, text = srv.request("GET", f"/api/runs/{run_id}/output")
        assert status == 200 and "answers: bench=bench_02 temp=-12" in text, (srv.port, text[-300:])
        assert srv.get(f"/api/runs/{run_id}")["status"] == "PASSED"


async def test_stations_are_listed_and_launches_elsewhere_are_refused_clearly(fleet: Fleet) -> None:
    stations = {s["name"]: s for s in fleet.b.get("/api/stations")}
    assert {"A", "B"} <= set(stations) and stations["A"]["online"] and stations["A"]["runs_tests"]
    assert "test_prompts.py" in stations["A"]["tests"] and stations["A"]["tests_root"] == str(SUITES.resolve())
    viewers_listed = [s for s in stations.values() if not s["runs_tests"]]
    assert len(viewers_listed) == 1 and viewers_listed[0]["tests"] == []

    body = {"test_path": "test_pass.py", "uut_serial": "SN"}
    status, refused = fleet.v.request("POST", "/api/runs", {**body, "station": "Z"})
    assert status == 404 and refused["error"]["code"] == "station_not_found", refused
    assert "stations online: " in refused["error"]["message"] and "A, B" in refused["error"]["message"]
    status, refused = fleet.v.request("POST", "/api/runs", body)
    assert status == 400 and refused["error"]["code"] == "station_required", refused
    status, refused = fleet.v.request("POST", "/api/runs", {**body, "test_path": "../x.py", "station": "B"})
    assert status == 400 and refused["error"]["code"] == "invalid_test_path", refused
    assert fleet.v.get("/api/tests?station=B")["tests"] == stations["B"]["tests"]


async def test_abort_and_the_active_feed_work_from_any_node(fleet: Fleet) -> None:
    slow_a = launch(fleet.b, "test_slow.py", station="A")
    slow_b = launch(fleet.a, "test_slow.py", station="B")
    (feed,) = await viewers(None, fleet.v)
    await feed.send({"type": "subscribe_active"})
    both = await feed.until(
        lambda m: m["type"] == "active_runs" and {slow_a, slow_b} <= {r["run_id"] for r in m["runs"]}
    )
    rows = {r["run_id"]: r["station"] for r in both["runs"]}
    assert (rows[slow_a], rows[slow_b]) == ("A", "B")
    for run_id, through in ((slow_a, fleet.v), (slow_b, fleet.a)):
        status, body = through.request("POST", f"/api/runs/{run_id}/abort")
        assert status == 202, body
    (on_v,) = await viewers(slow_a, fleet.v)
    (on_b,) = await viewers(slow_b, fleet.b)
    assert (await on_v.complete())["status"] == "ABORTED"
    assert (await on_b.complete())["status"] == "ABORTED"
    status, body = fleet.v.request("POST", f"/api/runs/{slow_a}/abort")
    assert status == 409, body


async def test_a_viewer_node_killed_mid_run_its_client_resumes_on_another_node_exactly(fleet: Fleet, tmp_path) -> None:
    spare = node(tmp_path, fleet.redis)
    run_id = launch(spare, "test_slow.py", station="A")
    (first,) = await viewers(run_id, spare)
    await first.until(lambda m: kind(m) == "output" and m["data"]["line"] == "tick 1")
    epoch = (await first.until(lambda m: m["type"] == "subscribed"))["epoch"]
    held = records(first)
    spare.kill()
    (resumed,) = await viewers(None, fleet.b)
    await resumed.send({"type": "subscribe", "run_id": run_id, "since_seq": held[-1]["seq"], "epoch": epoch})
    again = await resumed.until(lambda m: m["type"] == "subscribed")
    await resumed.complete()
    assert epoch and (again["epoch"], again["resync"], again["since_seq"]) == (epoch, False, held[-1]["seq"])
    (whole,) = await viewers(run_id, fleet.v)
    await whole.complete()
    joined = held + records(resumed)
    assert [r["seq"] for r in joined] == list(range(1, len(joined) + 1))
    assert joined == records(whole)


async def test_a_token_revoked_with_the_cli_closes_its_connections_on_every_node(fleet: Fleet) -> None:
    secret = grant_fleet_token(fleet.redis.url, "line-7", Role.VIEWER, credentials.new_token())
    held = await viewers(None, fleet.a, fleet.v, tokens=[secret, secret])
    for viewer in held:
        await viewer.send({"type": "subscribe_active"})
        await viewer.until(lambda m: m["type"] == "active_runs")
    revoked = subprocess.run(
        [sys.executable, "-m", "litmus_live.cli", "tokens", "revoke", "line-7", "--store", fleet.redis.url,
         "--data-dir", str(fleet.v.data_dir)], capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert revoked.returncode == 0, revoked.stderr
    for viewer in held:
        error, code = await refusal(viewer.ws)
        assert (error["code"], code) == ("unauthorized", 4401) and "revoked" in error["message"], error
    assert fleet.b.request("GET", "/api/runs", token=secret)[0] == 401


def conformance(srv: Server, extra: list[str]) -> subprocess.Popen[str]:
    """The conformance suite against `srv`, started (all nodes are tested at once)."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--url", srv.ws, *extra]
    return subprocess.Popen(cmd, cwd=REPO / "conformance", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_the_conformance_suite_passes_against_every_node(redis_server: RedisServer, tmp_path: Path) -> None:
    """Every node of a fleet of the two kinds: a station, and a viewer node launching on it."""
    demo = [node(tmp_path, redis_server, station, tests=REPO / "examples") for station in ("D", "")]
    try:
        suites = [conformance(demo[0], []), conformance(demo[1], ["--station", "D"])]
        outputs = [suite.communicate(timeout=300)[0] for suite in suites]
    finally:
        for srv in demo:
            srv.stop()
    for suite, output in zip(suites, outputs, strict=True):
        summary = output.strip().splitlines()[-1]
        assert suite.returncode == 0, output
        assert " passed" in summary and "skipped" not in summary and "failed" not in summary, output


async def test_a_station_killed_mid_run_is_closed_by_the_fleet_and_its_prompts_withdrawn(fleet, tmp_path) -> None:
    doomed = node(tmp_path, fleet.redis, "C", beat=0.5)
    run_id = launch(fleet.v, "test_prompts.py::test_setup", station="C")
    (on_v,) = await viewers(run_id, fleet.v)
    insert = await on_v.prompt("insert_uut")
    epoch = (await on_v.until(lambda m: m["type"] == "subscribed"))["epoch"]
    doomed.kill()
    withdrawn = await on_v.resolution(insert["prompt_id"])
    complete = await on_v.complete()
    late = await on_v.answer(insert, True, "late")
    # closed by a node that did not write it: what Redis held may have lacked the station's
    # last records, so the log has a new epoch and a client resuming from the old one resyncs
    (back,) = await viewers(None, fleet.b)
    await back.send({"type": "subscribe", "run_id": run_id, "since_seq": insert["seq"], "epoch": epoch})
    resync = await back.until(lambda m: m["type"] == "subscribed")
    await back.complete()
    assert resync["resync"] and resync["since_seq"] == 0 and resync["epoch"] not in ("", epoch), resync
    assert records(back) == records(on_v)
    assert withdrawn["resolution"] == "withdrawn" and "station C went silent" in withdrawn["reason"]
    assert "closed by" in withdrawn["reason"]
    assert (complete["status"], complete["reason"]) == ("ERROR", withdrawn["reason"])
    assert late["code"] == "prompt_already_answered" and "withdrawn" in late["message"]
    assert not next(s for s in fleet.v.get("/api/stations") if s["name"] == "C")["online"]
    body = {"test_path": "test_pass.py", "uut_serial": "SN", "station": "C"}
    status, refused = fleet.v.request("POST", "/api/runs", body)
    assert status == 409 and refused["error"]["code"] == "station_offline", refused
    assert "station C is offline: no heartbeat for " in refused["error"]["message"], refused


async def test_redis_restarted_mid_run_loses_nothing_and_unreachable_is_a_clear_503(tmp_path) -> None:
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    station, viewer = node(tmp_path, redis, "A"), node(tmp_path, redis)
    try:
        run_id = launch(viewer, "test_slow.py", station="A")
        (on_v,) = await viewers(run_id, viewer)
        await on_v.until(lambda m: kind(m) == "output" and m["data"]["line"] == "tick 1")
        redis.kill()
        told = await on_v.until(lambda m: m["type"] == "error" and m["code"] == "store_unavailable")
        status, body = viewer.request("GET", "/api/runs")  # answered, not hung (the request has a timeout)
        assert status == 503 and body["error"]["code"] == "store_unavailable", body
        assert "cannot be reached" in body["error"]["message"]
        status, health = viewer.request("GET", "/healthz")
        assert status == 503 and "cannot be reached" in health["reason"], health
        redis.start()
        complete = await on_v.complete()
        held = records(on_v)
        (again,) = await viewers(run_id, viewer)
        await again.complete()
    finally:
        station.stop()
        viewer.stop()
        redis.stop()
    assert "cannot be reached" in told["message"]
    assert complete["status"] == "PASSED"
    assert [r["seq"] for r in held] == list(range(1, len(held) + 1))
    assert held == records(again)
    lines = [m["data"]["line"] for m in held if kind(m) == "output"]
    assert [f"tick {i}" for i in range(6)] == [x[x.index("tick") :] for x in lines if "tick " in x]
