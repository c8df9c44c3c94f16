"""End to end: a real server launches real pytest runs; real clients watch them."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
import websockets
from conftest import TEST_USER, Server, collect_run, connect, receive


def processes_of(run_id: str) -> list[int]:
    """Pids of processes started for `run_id` (the runner puts LITMUS_RUN_ID in their environment)."""
    marker = f"LITMUS_RUN_ID={run_id}".encode()
    pids = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                pids.append(int(environ.parent.name))
        except OSError:
            continue
    return pids


def kinds(records: list[dict]) -> list[str]:
    return [r["data"]["kind"] if r["type"] == "event" else r["type"] for r in records]


def assert_gapless(records: list[dict]) -> None:
    assert [r["seq"] for r in records] == list(range(1, len(records) + 1))


async def test_passing_run_streams_every_step_then_complete(server: Server) -> None:
    # the operator is the launching credential's name ("tests"), not what the body claims
    run_id = server.launch("test_pass.py", serial="SN-0001", operator="ada", station="bench-3")
    async with await connect(server.ws) as ws:
        records = await collect_run(ws, run_id)
    assert_gapless(records)
    first = records[0]
    assert first["data"] == {
        "kind": "run_created", "test_path": "test_pass.py", "uut_serial": "SN-0001",
        "operator": TEST_USER, "station": "bench-3",
    }  # fmt: skip
    seen = kinds(records)
    assert seen.count("step_started") == 2 and seen.count("step_finished") == 2
    collected = next(r["data"] for r in records if r["type"] == "event" and r["data"]["kind"] == "collected")
    assert collected["count"] == 2
    assert collected["nodeids"] == ["test_pass.py::test_one", "test_pass.py::test_two"]
    lines = [(r["data"]["stream"], r["data"]["line"]) for r in records if kinds([r]) == ["output"]]
    # pytest -v prints a test's own output after its node id, on the same line
    assert any(stream == "stdout" and line.endswith("hello from stdout") for stream, line in lines)
    assert ("stderr", "hello from stderr") in lines
    progress = [r for r in records if r["type"] == "progress"]
    assert progress[-1]["done"] == 2 and progress[-1]["total"] == 2 and progress[-1]["passed"] == 2
    started = [r for r in progress if r["current_step"]]
    assert [r["current_step"] for r in started] == collected["nodeids"]
    assert records[-1]["status"] == "PASSED" and records[-1]["exit_code"] == 0


async def test_failing_suite_is_failed_with_outcomes_and_reasons(server: Server) -> None:
    run_id = server.launch("test_mixed.py")
    async with await connect(server.ws) as ws:
        records = await collect_run(ws, run_id)
    finished = {r["data"]["nodeid"].split("::")[1]: r["data"] for r in records if kinds([r]) == ["step_finished"]}
    assert finished["test_ok"]["outcome"] == "passed"
    assert finished["test_broken"]["outcome"] == "failed"
    assert "arithmetic is broken" in finished["test_broken"]["reason"]
    assert finished["test_skipped"]["outcome"] == "skipped"
    assert finished["test_skipped"]["reason"] == "no fixture on this bench"
    assert finished["test_setup_error"]["outcome"] == "error"
    assert "fixture exploded" in finished["test_setup_error"]["reason"]
    complete = records[-1]
    assert (complete["status"], complete["exit_code"]) == ("FAILED", 1)
    assert complete["reason"] == "1 failed, 1 error of 4 tests"
    last_progress = [r for r in records if r["type"] == "progress"][-1]
    assert (last_progress["passed"], last_progress["failed"], last_progress["skipped"]) == (1, 1, 1)
    assert last_progress["errors"] == 1


@pytest.mark.parametrize(
    ("test_path", "exit_code", "reason"),
    [
        ("test_exit_interrupted.py", 2, "interrupted"),
        (
            "test_exit_usage.py::test_does_not_exist",
            4,
            "usage error: not found: test_exit_usage.py::test_does_not_exist",
        ),
        ("test_exit_empty.py", 5, "no tests collected"),
    ],
)
async def test_abnormal_exit_codes_are_errors_with_reasons(
    server: Server, test_path: str, exit_code: int, reason: str
) -> None:
    run_id = server.launch(test_path)
    async with await connect(server.ws) as ws:
        complete = (await collect_run(ws, run_id))[-1]
    assert (complete["status"], complete["exit_code"], complete["reason"]) == ("ERROR", exit_code, reason)
    summary = server.get(f"/api/runs/{run_id}")
    assert (summary["status"], summary["reason"], summary["is_live"]) == ("ERROR", reason, False)


@pytest.mark.parametrize(
    ("files", "exit_code", "reason"),
    [
        ({"pytest.ini": "[pytest]\naddopts = --cov=station\n"}, 4,
         "usage error: unrecognized arguments: --cov=station"),
        ({"conftest.py": "def pytest_collection_modifyitems(items):\n    raise LookupError('no bench profile')\n"}, 3,
         "internal error: LookupError: no bench profile"),
    ],
)  # fmt: skip
async def test_a_suite_pytest_cannot_run_ends_error_with_pytests_own_words(
    tmp_path: Path, files: dict[str, str], exit_code: int, reason: str
) -> None:
    root = tmp_path / "tests"
    root.mkdir()
    (root / "test_one.py").write_text("def test_one():\n    pass\n")
    for name, text in {"pytest.ini": "[pytest]\n", **files}.items():
        (root / name).write_text(text)
    server = Server(tmp_path / "data", tests=root)
    server.start()
    try:
        run_id = server.launch("test_one.py")
        async with await connect(server.ws) as ws:
            complete = (await collect_run(ws, run_id))[-1]
    finally:
        server.stop()
    assert (complete["status"], complete["exit_code"], complete["reason"]) == ("ERROR", exit_code, reason)


async def test_abort_interrupts_the_run_and_marks_it_aborted(server: Server) -> None:
    run_id = server.launch("test_slow.py")
    async with await connect(server.ws) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id}))
        seen: list[dict] = []
        while not any(kinds([m]) == ["output"] and m["data"]["line"] == "tick 1" for m in seen):
            seen += await receive(ws)
        status, body = server.request("POST", f"/api/runs/{run_id}/abort")
        assert (status, body["status"]) == (202, "aborting")
        while seen[-1]["type"] != "complete":
            seen += await receive(ws)
    assert seen[-1]["status"] == "ABORTED"
    assert seen[-1]["exit_code"] == 2  # pytest's own exit code for an interrupted session
    status, body = server.request("POST", f"/api/runs/{run_id}/abort")
    assert (status, body["error"]["code"]) == (409, "run_not_live")


async def test_abort_kills_a_test_that_ignores_the_interrupt_and_a_second_abort_meanwhile_changes_nothing(
    server_factory,
) -> None:
    server = server_factory(env={"LITMUS_ABORT_GRACE": "3"})  # the second abort comes well within it
    server.start()
    run_id = server.launch("test_hang.py")
    async with await connect(server.ws) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id}))
        seen: list[dict] = []
        while not any(kinds([m]) == ["output"] and "ignoring SIGINT" in m["data"]["line"] for m in seen):
            seen += await receive(ws)
        first = server.request("POST", f"/api/runs/{run_id}/abort")
        second = server.request("POST", f"/api/runs/{run_id}/abort")
        assert first == second == (202, {"run_id": run_id, "status": "aborting"})
        while seen[-1]["type"] != "complete":
            seen += await receive(ws)
    assert seen[-1]["status"] == "ABORTED"
    assert seen[-1]["exit_code"] == -9


async def test_resubscribing_after_a_disconnect_delivers_every_seq_once(server: Server) -> None:
    run_id = server.launch("test_slow.py")
    got: list[dict] = []
    async with await connect(server.ws) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id}))
        while len([m for m in got if "seq" in m]) < 12:
            got += await receive(ws)
    held = [m for m in got if "seq" in m]
    await asyncio.sleep(0.8)  # the run goes on while we are away
    async with await connect(server.ws) as ws:
        rest = await collect_run(ws, run_id, since_seq=held[-1]["seq"])
    assert_gapless(held + rest)
    assert rest[-1]["status"] == "PASSED"


async def test_a_late_subscriber_gets_the_whole_history_then_complete(server: Server) -> None:
    run_id = server.launch("test_pass.py")
    async with await connect(server.ws) as ws:
        live = await collect_run(ws, run_id)
    async with await connect(server.ws) as ws:
        late = await collect_run(ws, run_id)
    assert late == live


async def test_launch_outside_the_test_root_is_refused_and_runs_nothing(server: Server) -> None:
    for path in ["../conftest.py", "/etc/passwd", "../../pyproject.toml", "missing_test.py", ""]:
        status, body = server.request("POST", "/api/runs", {"test_path": path, "uut_serial": "SN"})
        assert status == 400, (path, body)
        assert body["error"]["code"] in ("invalid_test_path", "bad_request")
    assert server.get("/api/runs") == []
    assert not (server.data_dir / "runs").exists()


async def test_server_killed_mid_run_keeps_history_and_closes_the_run_as_error(server: Server) -> None:
    run_id = server.launch("test_slow.py")
    async with await connect(server.ws) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id}))
        got: list[dict] = []
        while not any(kinds([m]) == ["output"] and m["data"]["line"] == "tick 2" for m in got):
            got += await receive(ws)
    held = [m for m in got if "seq" in m]
    server.kill()
    # the orphaned test process notices its server is gone and stops by itself
    deadline = time.monotonic() + 15
    while processes_of(run_id) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert processes_of(run_id) == []
    server.start()
    async with await connect(server.ws) as ws:
        history = await collect_run(ws, run_id)
    assert history[: len(held)] == held
    assert_gapless(history)
    assert (history[-1]["status"], history[-1]["reason"]) == ("ERROR", "server stopped during the run")
    assert server.get(f"/api/runs/{run_id}")["status"] == "ERROR"


async def test_every_viewer_of_a_live_run_gets_each_record_once_in_seq_order(server_factory) -> None:
    """Records at the tail go straight from the hub to idle connections, in frames built once;
    a connection with its own messages to send (here the active-runs feed) gets them through
    its writer instead. Either way each viewer holds the whole log, once, in order."""
    server = server_factory(env={"LITMUS_CHATTY_LINES": "20000"})
    server.start()
    run_id = server.launch("test_chatty.py")
    viewers = [await connect(server.ws) for _ in range(12)]

    async def watch(i: int, ws: websockets.ClientConnection) -> list[dict]:
        if i % 3 == 0:
            await ws.send(json.dumps({"type": "subscribe_active"}))
        return await collect_run(ws, run_id)

    logs = await asyncio.gather(*(watch(i, ws) for i, ws in enumerate(viewers)))
    assert len(logs[0]) > 20000 and logs[0][-1]["status"] == "PASSED"
    for log in logs:
        assert [r["seq"] for r in log] == list(range(1, len(log) + 1))
        assert log == logs[0]
    for ws in viewers:
        await ws.close()


async def test_a_client_that_stops_reading_does_not_delay_another(server_factory) -> None:
    server = server_factory(env={"LITMUS_CHATTY_LINES": "60000"})
    server.start()
    run_id = server.launch("test_chatty.py")
    stalled = await connect(server.ws, max_queue=1)
    await stalled.send(json.dumps({"type": "subscribe", "run_id": run_id}))
    async with await connect(server.ws) as ws:
        records = await collect_run(ws, run_id)
    # The run finished and the reader got all of it while the other client read nothing ...
    assert records[-1]["status"] == "PASSED"
    assert len(records) > 60000
    # ... and the stalled client was not skipped: once it reads, it gets every record.
    stalled_records: list[dict] = []
    while not stalled_records or stalled_records[-1]["type"] != "complete":
        stalled_records += [m for m in await receive(stalled) if "seq" in m]
    assert stalled_records == records
    await stalled.close()


async def test_a_stalled_client_is_dropped_and_resumes_without_a_gap(server_factory) -> None:
    server = server_factory(env={"LITMUS_CHATTY_LINES": "100000", "LITMUS_SEND_TIMEOUT": "1"})
    server.start()
    run_id = server.launch("test_chatty.py")
    stalled = await connect(server.ws, max_queue=1)
    await stalled.send(json.dumps({"type": "subscribe", "run_id": run_id}))
    async with await connect(server.ws) as ws:
        everything = await collect_run(ws, run_id)  # the run ends while `stalled` reads nothing
    await asyncio.sleep(2.5)  # longer than the server's send timeout
    held: list[dict] = []
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            held += [m for m in await receive(stalled) if "seq" in m]
    assert held and held[-1]["type"] != "complete"  # it was cut off before the end ...
    assert "client stopped reading" in server.log.read_text()
    async with await connect(server.ws) as ws:
        rest = await collect_run(ws, run_id, since_seq=held[-1]["seq"])
    assert held + rest == everything  # ... and resuming from its last seq loses nothing
