"""Store faults end to end: a real server whose data dir is a real 4 MB tmpfs that fills up,
real pytest processes, real viewers. Mounting needs root (as CI runs here)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import signal
import time
from pathlib import Path

import pytest
from conftest import TEST_USER, connect, receive
from probes import appears, fill, healthy_again, is_running
from viewer import Viewer, is_line, is_store_error, lines, resume, watch

TEST = "test_store_fault.py"


async def test_a_full_disk_blocks_no_output_and_everything_commits_in_order_once_it_has_room(
    fault_server, small_disk: Path, control: Path
) -> None:
    server = fault_server()
    run_id = server.launch(f"{TEST}::test_prints_through_a_full_disk")
    viewer = await watch(server, run_id)
    await viewer.until(is_line("before 99"))
    filler = fill(small_disk)
    (control / "go").touch()

    error = await viewer.until(is_store_error)
    assert "database or disk is full" in error["message"]
    # the test printed far more than a pipe holds while nothing could be written
    assert await appears(control / "printed")
    status, health = server.request("GET", "/healthz")
    assert (status, health["status"]) == (503, "store_unavailable")
    assert "the store cannot commit: database or disk is full" in health["reason"]
    status, refused = server.request("POST", "/api/runs", {"test_path": TEST, "uut_serial": "SN"})
    assert (status, refused["error"]["code"]) == (503, "store_unavailable")
    late = Viewer(await connect(server.ws))  # a viewer who connects during the fault is told too
    await late.until(is_store_error)

    filler.unlink()
    recovered = await healthy_again(server)
    (control / "finish").touch()
    complete = await viewer.until(lambda m: m["type"] == "complete")
    print(f"recovered {recovered:.2f} s after the disk had room")

    records = viewer.records()
    assert [r["seq"] for r in records] == list(range(1, complete["seq"] + 1))
    assert complete["status"] == "PASSED"
    expected = [f"before {i}" for i in range(100)] + [f"during {i:05} " + "x" * 40 for i in range(3000)] + ["after"]
    assert [line for line in lines(records) if line.startswith(("before", "during", "after"))] == expected
    status, log = server.request("GET", f"/api/runs/{run_id}/output")
    assert status == 200
    assert [line for line in log.splitlines() if line.startswith(("before", "during", "after"))] == expected
    await viewer.ws.close()
    await late.ws.close()


async def test_a_store_down_past_its_bound_stops_the_run_and_records_why(
    fault_server, small_disk: Path, control: Path
) -> None:
    server = fault_server(LITMUS_MAX_OUTAGE="2")
    run_id = server.launch(f"{TEST}::test_keeps_printing")
    viewer = await watch(server, run_id)
    await viewer.until(is_line("tick 00010 " + "x" * 40))
    pid = int((control / "pid").read_text())
    filler = fill(small_disk)
    await viewer.until(is_store_error)

    deadline = time.monotonic() + 30
    while is_running(pid):  # stopped, not left running while nothing can be kept
        assert time.monotonic() < deadline, "the test process was left running"
        await asyncio.sleep(0.1)
    filler.unlink()
    complete = await viewer.until(lambda m: m["type"] == "complete")
    records = viewer.records()
    assert [r["seq"] for r in records] == list(range(1, complete["seq"] + 1))
    assert complete["status"] == "ERROR"
    assert complete["reason"].startswith("stopped: the store could not commit for ")
    assert "(database or disk is full)" in complete["reason"]
    assert server.get(f"/api/runs/{run_id}")["status"] == "ERROR"
    assert server.get("/healthz")["status"] == "ok"
    await viewer.ws.close()


async def test_an_answer_is_not_acknowledged_or_acted_on_until_it_is_durable(
    fault_server, small_disk: Path, control: Path
) -> None:
    server = fault_server()
    run_id = server.launch(f"{TEST}::test_acts_on_an_answer")
    viewer = await watch(server, run_id)
    prompt = await viewer.until(lambda m: m["type"] == "prompt")
    filler = fill(small_disk)
    (control / "go").touch()
    await viewer.until(is_store_error)

    answer = {"type": "prompt_response", "id": "a1", "run_id": run_id, "prompt_id": prompt["prompt_id"],
              "value": True, "who": "ada", "via": "ui"}  # fmt: skip
    await viewer.ws.send(json.dumps(answer))
    with pytest.raises(TimeoutError):
        await viewer.until(lambda m: m.get("id") == "a1", timeout=3)
    assert not (control / "acted").exists()

    server.kill()  # the answer was never durable: the log must not say it won
    filler.unlink()
    server.start()
    async with await connect(server.ws) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id}))
        history: list[dict] = []
        while not history or history[-1]["type"] != "complete":
            history += [m for m in await receive(ws) if "seq" in m]
    resolved = [r["data"] for r in history if r["type"] == "event" and r["data"]["kind"] == "prompt_resolved"]
    assert [(r["resolution"], r["reason"]) for r in resolved] == [("withdrawn", "server stopped during the run")]
    assert (history[-1]["status"], history[-1]["reason"]) == ("ERROR", "server stopped during the run")
    assert not await appears(control / "acted", timeout=2)
    await viewer.ws.close()


async def test_kill_9_at_random_points_keeps_all_a_viewer_saw_and_resumes_exactly(server_factory) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    server = server_factory(env={"LITMUS_CHATTY_LINES": "200000"})
    server.start()
    for _ in range(3):
        run_id = server.launch("test_chatty.py")
        viewer = await watch(server, run_id)
        point = rng.randrange(2, 30_000)
        await viewer.until(lambda m, point=point: m.get("seq", 0) >= point, timeout=60)
        server.kill()
        held = viewer.records()
        await viewer.ws.close()
        server.start()
        rest = await resume(server, run_id, held[-1]["seq"])
        everything = await resume(server, run_id, 0)
        assert held + rest == everything, f"seed {seed}, killed at seq {held[-1]['seq']}"
        assert [r["seq"] for r in everything] == list(range(1, len(everything) + 1))
        assert (everything[-1]["status"], everything[-1]["reason"]) == ("ERROR", "server stopped during the run")


async def test_an_acknowledged_answer_survives_kill_9(server_factory, control: Path) -> None:
    server = server_factory(env={"LITMUS_FAULT_CONTROL": str(control)})
    server.start()
    run_id = server.launch(f"{TEST}::test_acts_on_an_answer")
    viewer = await watch(server, run_id)
    prompt = await viewer.until(lambda m: m["type"] == "prompt")
    answer = {"type": "prompt_response", "id": "a1", "run_id": run_id, "prompt_id": prompt["prompt_id"],
              "value": True, "who": "ada", "via": "ui"}  # fmt: skip
    await viewer.ws.send(json.dumps(answer))
    assert (await viewer.until(lambda m: m.get("id") == "a1"))["type"] == "prompt_accepted"
    server.kill()
    await viewer.ws.close()
    server.start()
    history = await resume(server, run_id, 0)
    resolved = [r["data"] for r in history if r["type"] == "event" and r["data"]["kind"] == "prompt_resolved"]
    # who is the connection's credential (the tests' token), not the "ada" the message claims
    assert [(r["resolution"], r["value"], r["who"]) for r in resolved] == [("answered", True, TEST_USER)]


async def test_sigterm_mid_run_keeps_all_a_viewer_saw_and_closes_the_run(server_factory, control: Path) -> None:
    server = server_factory(env={"LITMUS_FAULT_CONTROL": str(control)})
    server.start()
    run_id = server.launch(f"{TEST}::test_keeps_printing")
    viewer = await watch(server, run_id)
    await viewer.until(is_line("tick 00050 " + "x" * 40))
    pid = int((control / "pid").read_text())
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(30)
    held = viewer.records()
    await viewer.ws.close()
    assert not is_running(pid)
    server.start()
    rest = await resume(server, run_id, held[-1]["seq"])
    everything = await resume(server, run_id, 0)
    assert held + rest == everything
    assert [r["seq"] for r in everything] == list(range(1, len(everything) + 1))
    assert [r["type"] for r in everything].count("complete") == 1
    assert everything[-1]["status"] in ("ERROR", "ABORTED")  # which one is the graceful stop's to say


async def test_a_prompt_open_when_the_server_died_is_withdrawn_with_its_name_and_real_wait(
    server_factory, control: Path
) -> None:
    server = server_factory(env={"LITMUS_FAULT_CONTROL": str(control)})
    server.start()
    run_id = server.launch(f"{TEST}::test_acts_on_an_answer")
    viewer = await watch(server, run_id)
    prompt = await viewer.until(lambda m: m["type"] == "prompt")
    await asyncio.sleep(2)
    server.kill()
    await viewer.ws.close()
    server.start()
    history = await resume(server, run_id, 0)
    [resolved] = [r for r in history if r["type"] == "event" and r["data"]["kind"] == "prompt_resolved"]
    assert (resolved["data"]["prompt_id"], resolved["data"]["name"]) == (prompt["prompt_id"], "irreversible")
    opened, closed = (dt.datetime.fromisoformat(r["ts"]) for r in (prompt, resolved))
    assert resolved["data"]["waited"] == pytest.approx((closed - opened).total_seconds(), abs=0.01)
    assert resolved["data"]["waited"] >= 2  # it waited from its prompt record to the close, not 0 s
