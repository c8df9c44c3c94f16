"""HTTP routes against a real server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from conftest import Server, collect_run, connect, receive

from litmus_live.api import discover_tests


async def test_runs_list_newest_first_with_live_flags(server: Server) -> None:
    first = server.launch("test_pass.py", serial="SN-1")
    async with await connect(server.ws) as ws:
        await collect_run(ws, first)
    second = server.launch("test_slow.py", serial="SN-2")
    runs = server.get("/api/runs")
    assert [r["run_id"] for r in runs] == [second, first]
    assert [r["is_live"] for r in runs] == [True, False]
    assert runs[1]["status"] == "PASSED" and runs[1]["done"] == 2
    server.request("POST", f"/api/runs/{second}/abort")


async def test_unknown_runs_are_404_with_a_message(server: Server) -> None:
    for path in ["/api/runs/nope", "/api/runs/nope/output"]:
        status, body = server.request("GET", path)
        assert (status, body["error"]["code"]) == (404, "run_not_found")
    status, body = server.request("POST", "/api/runs/nope/abort")
    assert (status, body["error"]["message"]) == (404, "no run 'nope'")


async def test_the_output_log_holds_both_streams(server: Server) -> None:
    run_id = server.launch("test_pass.py")
    async with await connect(server.ws) as ws:
        await collect_run(ws, run_id)
    status, text = server.request("GET", f"/api/runs/{run_id}/output")
    assert status == 200
    assert "hello from stderr" in text and "hello from stdout" in text and "2 passed" in text


async def test_launch_requests_are_validated(server: Server) -> None:
    cases = [
        ({"test_path": "test_pass.py"}, "uut_serial"),
        ({"test_path": "test_pass.py", "uut_serial": "   "}, "uut_serial"),
        ({"test_path": "test_pass.py", "uut_serial": "SN", "priority": 1}, "priority"),
        ({"test_path": 3, "uut_serial": "SN"}, "test_path"),
    ]
    for body, where in cases:
        status, reply = server.request("POST", "/api/runs", body)
        assert status == 400 and where in reply["error"]["message"], (body, reply)
    status, reply = server.request("POST", "/api/runs", {"test_path": "x" * 70_000, "uut_serial": "SN"})
    assert status == 413
    assert server.get("/api/runs") == []


async def test_tests_under_the_root_are_listed(server: Server) -> None:
    listing = server.get("/api/tests")
    assert "test_pass.py" in listing["tests"] and "conftest.py" not in listing["tests"]


def test_discovery_lists_suite_folders_then_test_files(tmp_path: Path) -> None:
    for name in ["bench/test_a.py", "bench/deep/b_test.py", "bench/helpers.py", ".hidden/test_c.py",
                 "__pycache__/test_d.py", "test_top.py"]:  # fmt: skip
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert discover_tests(tmp_path) == [
        "bench/", "bench/deep/", "bench/deep/b_test.py", "bench/test_a.py", "test_top.py",
    ]  # fmt: skip


async def test_healthz(server: Server) -> None:
    assert server.get("/healthz") == {"status": "ok", "live_runs": 0}


async def test_the_output_log_of_a_live_run_can_be_read_while_it_grows(server_factory, tmp_path: Path) -> None:
    stop = tmp_path / "seen-enough"
    server = server_factory(env={"LITMUS_GROWING_STOP": str(stop)})
    server.start()
    run_id = server.launch("test_growing.py")
    async with await connect(server.ws) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id}))
        while not any(m.get("data", {}).get("line") == "paced 10" for m in await receive(ws)):
            pass
        sizes = []
        while server.get(f"/api/runs/{run_id}")["is_live"]:
            status, text = server.request("GET", f"/api/runs/{run_id}/output")  # a short body would raise
            assert status == 200 and text.endswith("\n")
            sizes.append(len(text))
            if len(sizes) == 3:
                stop.touch()  # seen it grow: the test may end
            await asyncio.sleep(0.1)  # a polite poller: well under the per-client request rate
    assert len(sizes) >= 3 and sizes == sorted(sizes) and sizes[0] > 10_000_000 // 1000
    assert sizes[-1] > sizes[0]  # it grew between two reads


async def test_a_live_runs_output_tail_comes_from_memory(server: Server) -> None:
    run_id = server.launch("test_slow.py")
    async with await connect(server.ws) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id}))
        while not any(m.get("data", {}).get("line") == "tick 1" for m in await receive(ws)):
            pass
        tail = server.get(f"/api/runs/{run_id}/tail?lines=3")
        assert [line["stream"] for line in tail["lines"]] == ["stdout"] * 3
        assert tail["lines"][-1]["line"] == "tick 1"
        server.request("POST", f"/api/runs/{run_id}/abort")
        await collect_run(ws, run_id)
    status, body = server.request("GET", f"/api/runs/{run_id}/tail")
    assert (status, body["error"]["code"]) == (409, "run_not_live")
