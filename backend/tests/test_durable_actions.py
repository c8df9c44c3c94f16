"""What the server does to a run is recorded before it acts. A launch's run_created is committed
before pytest starts and before the 201; an abort's abort_requested before the test process is
interrupted and before the 202; while the store cannot commit, either is refused (503) and
nothing happens. A graceful stop on a full disk still stops. Real server, real pytest, a real
4 MB tmpfs."""

from __future__ import annotations

import asyncio
import errno
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TEST_USER, Server
from probes import appears, fill, healthy_again, is_running
from test_store_faults import TEST
from viewer import is_line, is_store_error, resume, watch

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
        filler.unlink()
    else:
        assert status == 503 and body["error"]["code"] == "store_unavailable", (status, body)
        assert not (control / "sigint").exists() and is_running(pid)
        filler.unlink()
        if "the abort was not recorded, so nothing was done" in body["error"]["message"]:
            # a commit failed on the full disk before the abort was asked: it was refused whole, as
            # the test above checks; once the store commits again, the same request acts
            await healthy_again(server)
            status, body = server.request("POST", f"/api/runs/{run_id}/abort")
            assert (status, body["status"]) == (202, "aborting"), (viewer.records()[-4:], body)
        else:
            assert "the abort waits for the store" in body["error"]["message"], body
    complete = await viewer.until(lambda m: m["type"] == "complete", timeout=60)
    assert (complete["status"], complete["reason"]) == ("ABORTED", f"aborted by {TEST_USER}")
    assert [a["data"]["who"] for a in aborts(viewer.records())] == [TEST_USER]
    audit = server.get("/api/audit?limit=50")  # what waited for the disk is written once it has room
    assert [e["target"] for e in audit if e["action"] == "abort"] == [run_id]
    print(f"abort answered {status} after {time.monotonic() - started:.1f} s")
    await viewer.ws.close()


async def test_an_acknowledged_launch_is_in_the_log_after_kill_9(server_factory, control: Path) -> None:
    server: Server = server_factory(env={"LITMUS_FAULT_CONTROL": str(control)})
    server.start()
    run_id = server.launch(QUIET)
    server.kill()  # the 201 said the run exists: it must, whatever happened next
    server.start()
    history = await resume(server, run_id, 0)
    assert history[0]["data"]["kind"] == "run_created"
    assert (history[-1]["status"], history[-1]["reason"]) == ("ERROR", "server stopped during the run")
    (control / "finish").touch()  # the test process outlived the server it reported to


async def test_a_launch_the_store_cannot_record_is_refused_and_never_runs(
    fault_server, small_disk: Path, control: Path
) -> None:
    """An idle server has not failed a commit yet when the disk fills: the launch finds out."""
    server = fault_server()
    filler = fill(small_disk)
    status, body = server.request("POST", "/api/runs", {"test_path": QUIET, "uut_serial": "SN-FULL"})
    if status == 201:  # the log still had room for one small commit (SQLite reuses its WAL)
        run_id = body["run_id"]
    else:
        assert status == 503 and body["error"]["code"] == "store_unavailable", (status, body)
        assert "the run was not started" in body["error"]["message"]
        await asyncio.sleep(3)
        assert not (control / "pid").exists()  # pytest never started
        filler.unlink()
        await healthy_again(server)
        [run] = [r for r in server.get("/api/runs") if r["uut_serial"] == "SN-FULL"]
        run_id = run["run_id"]
        assert (run["status"], run["is_live"]) == ("ERROR", False)
        assert run["reason"].startswith("not started: the launch was not recorded within 5 s")
    if filler.exists():
        filler.unlink()
    if status == 201:
        assert await appears(control / "pid")
        server.request("POST", f"/api/runs/{run_id}/abort")
    history = await resume(server, run_id, 0)
    assert [r["seq"] for r in history] == list(range(1, len(history) + 1))


async def test_a_graceful_stop_on_a_full_disk_stops_and_the_run_is_closed_truthfully(
    fault_server, small_disk: Path, control: Path
) -> None:
    server = fault_server()
    run_id = server.launch(f"{TEST}::test_keeps_printing")
    viewer = await watch(server, run_id)
    await viewer.until(is_line("tick 00010 " + "x" * 40))
    pid = int((control / "pid").read_text())
    filler = fill(small_disk)
    await viewer.until(is_store_error)
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(60)  # not held until the disk has room
    assert not is_running(pid)
    await viewer.ws.close()
    filler.unlink()
    server.start()
    history = await resume(server, run_id, 0)
    assert [r["seq"] for r in history] == list(range(1, len(history) + 1))
    assert (history[-1]["status"], history[-1]["reason"]) == ("ERROR", "server stopped during the run")


@pytest.fixture
def few_inodes(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs with room for bytes but for only 100 files."""
    disk = tmp_path / "inodes"
    disk.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=16m,nr_inodes=100", "tmpfs", str(disk)]
    mounted = subprocess.run(mount, check=False, capture_output=True)
    assert mounted.returncode == 0, f"this test mounts a tmpfs (as root): {mounted.stderr.decode()}"
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=True)


async def test_a_launch_whose_output_log_cannot_be_made_is_refused_and_leaves_nothing(
    few_inodes: Path, tmp_path: Path
) -> None:
    server = Server(few_inodes / "data")
    server.log = tmp_path / "server.log"
    server.start()
    try:
        files = []
        with pytest.raises(OSError) as full:
            while True:
                files.append(few_inodes / f"f{len(files)}")
                files[-1].touch()
        assert full.value.errno == errno.ENOSPC
        status, body = server.request("POST", "/api/runs", {"test_path": "test_pass.py", "uut_serial": "SN-INODES"})
        assert status == 503 and body["error"]["code"] == "store_unavailable", (status, body)
        assert body["error"]["message"].startswith("nothing was launched: the data dir refused the run's folder")
        assert "No space left on device" in body["error"]["message"]
        for path in files[:-1]:
            path.unlink()
        assert [r for r in server.get("/api/runs") if r["uut_serial"] == "SN-INODES"] == []
        run_id = server.launch("test_pass.py", "SN-INODES")
        assert (await resume(server, run_id, 0))[-1]["status"] == "PASSED"
    finally:
        server.stop()


async def test_sign_ins_and_admin_changes_on_a_full_disk_are_refused_with_a_reason(
    fault_server, small_disk: Path
) -> None:
    server = fault_server()
    server.add_user("ada")
    filler = fill(small_disk)
    refused = [
        server.request("POST", "/api/session", {"name": "ada", "password": "long password"}, token=None),
        server.request("POST", "/api/tokens", {"name": "bot", "role": "viewer"}),
        server.request("POST", "/api/users", {"name": "bob", "role": "viewer", "password": "long password"}),
    ]
    for status, body in refused:
        assert status == 503 and body["error"]["code"] == "store_unavailable", (status, body)
        assert body["error"]["message"].startswith("the identity store cannot write now: database or disk is full")
    cmd = [sys.executable, "-m", "litmus_live.cli", "tokens", "create", "--name", "bot2", "--role", "viewer",
           "--data-dir", str(server.data_dir)]  # fmt: skip
    cli = subprocess.run(cmd, check=False, capture_output=True, text=True)
    assert cli.returncode == 1 and cli.stderr.startswith("error: the identity store cannot write now"), cli.stderr
    filler.unlink()
    assert server.sign_in("ada")
    assert "Traceback" not in server.log.read_text()
