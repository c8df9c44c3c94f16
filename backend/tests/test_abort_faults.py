"""An abort is recorded before it acts: its `abort_requested` record is committed before the
test process is interrupted and before the 202; while the store cannot commit, the abort is
refused (503) and the run goes on. Real server, real pytest, a real 4 MB tmpfs."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from conftest import TEST_USER, Server
from test_store_faults import TEST, appears, fill, healthy_again, is_line, is_running, is_store_error, resume, watch

QUIET = f"{TEST}::test_waits_to_be_aborted"


def aborts(records: list[dict]) -> list[dict]:
    return [r for r in records if r["type"] == "event" and r["data"]["kind"] == "abort_requested"]


async def test_an_abort_while_the_store_cannot_commit_is_refused_and_the_run_goes_on(
    fault_server, small_disk: Path, control: Path
) -> None:
    server = fault_server()
    run_id = server.launch(f"{TEST}::test_keeps_printing")
    viewer = await watch(server, run_id)
    await viewer.until(is_line("tick 00010 " + "x" * 40))
    pid = int((control / "pid").read_text())
    filler = fill(small_disk)
    await viewer.until(is_store_error)

    status, refused = server.request("POST", f"/api/runs/{run_id}/abort")
    assert (status, refused["error"]["code"]) == (503, "store_unavailable")
    assert "the abort was not recorded, so nothing was done" in refused["error"]["message"]
    assert "database or disk is full" in refused["error"]["message"]
    await asyncio.sleep(3)  # nothing may interrupt it: no record says anyone asked
    assert is_running(pid)

    filler.unlink()
    await healthy_again(server)
    status, body = server.request("POST", f"/api/runs/{run_id}/abort")
    assert (status, body["status"]) == (202, "aborting")
    complete = await viewer.until(lambda m: m["type"] == "complete")
    records = viewer.records()
    assert [r["seq"] for r in records] == list(range(1, complete["seq"] + 1))
    assert [a["data"]["who"] for a in aborts(records)] == [TEST_USER]
    assert (complete["status"], complete["reason"]) == ("ABORTED", f"aborted by {TEST_USER}")
    await viewer.ws.close()


async def test_an_acknowledged_abort_is_in_the_log_after_kill_9(server_factory, control: Path) -> None:
    server: Server = server_factory(env={"LITMUS_FAULT_CONTROL": str(control)})
    server.start()
    run_id = server.launch(QUIET)
    viewer = await watch(server, run_id)
    await viewer.until(is_line("waiting to be aborted"))
    status, body = server.request("POST", f"/api/runs/{run_id}/abort")
    assert (status, body["status"]) == (202, "aborting")
    server.kill()  # acknowledged: the record that says who aborted must survive
    await viewer.ws.close()
    assert await appears(control / "sigint")  # and the test was interrupted
    server.start()
    history = await resume(server, run_id, 0)
    assert [(a["data"]["who"]) for a in aborts(history)] == [TEST_USER]
    assert history[-1]["type"] == "complete"
    assert aborts(history)[0]["seq"] < history[-1]["seq"]


async def test_an_abort_waits_for_its_record_before_it_interrupts(fault_server, small_disk: Path, control: Path):
    """The store fails only when the abort's own record is committed: nothing is sent to the test
    until the disk has room again; then the abort acts and the run ends ABORTED."""
    server = fault_server()
    run_id = server.launch(QUIET)
    viewer = await watch(server, run_id)
    await viewer.until(is_line("waiting to be aborted"))
    pid = int((control / "pid").read_text())
    filler = fill(small_disk)
    # the log may still have room for one small commit (SQLite reuses its WAL): then the abort acts at once
    started = time.monotonic()
    status, body = server.request("POST", f"/api/runs/{run_id}/abort")
    if status == 202:
        assert await appears(control / "sigint")
    else:
        assert status == 503 and body["error"]["code"] == "store_unavailable", (status, body)
        assert "the abort waits for the store" in body["error"]["message"]
        assert not (control / "sigint").exists() and is_running(pid)
    filler.unlink()
    complete = await viewer.until(lambda m: m["type"] == "complete", timeout=60)
    assert (complete["status"], complete["reason"]) == ("ABORTED", f"aborted by {TEST_USER}")
    assert [a["data"]["who"] for a in aborts(viewer.records())] == [TEST_USER]
    audit = server.get("/api/audit?limit=50")  # what waited for the disk is written once it has room
    assert [e["target"] for e in audit if e["action"] == "abort"] == [run_id]
    print(f"abort answered {status} after {time.monotonic() - started:.1f} s")
    await viewer.ws.close()
