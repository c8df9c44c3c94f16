"""The fault drill's cases on a small disk (a 4 MB tmpfs that fills up): each returns one row of
the fault table (fault_cases.Row)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

from fault_cases import STORE_FAULT, Row, appears, healthy, is_complete, is_running, is_store_error, line, verdict
from faults import Disk, Server, Viewer


@contextlib.asynccontextmanager
async def on_small_disk(case: Path, root: Path, **env: str) -> AsyncIterator[tuple[Disk, Server, Path]]:
    control = case / "control"
    control.mkdir()
    disk = Disk(case / "disk")
    server = Server(disk.path / "data", root, case / "server.log", LITMUS_FAULT_CONTROL=str(control), **env)
    try:
        server.start()
        yield disk, server, control
    finally:
        server.stop()
        (control / "finish").touch()
        disk.unmount()


async def disk_full(case: Path, root: Path, args, seed: int) -> Row:
    async with on_small_disk(case, root) as (disk, server, control):
        run_id = server.launch(f"{STORE_FAULT}::test_prints_through_a_full_disk")
        viewer = await Viewer.of(server, run_id)
        await viewer.until(line("before 99"))
        disk.fill()
        filled = time.monotonic()
        (control / "go").touch()
        await viewer.until(is_store_error)
        told = time.monotonic() - filled
        await appears(control / "printed")
        health = server.request("GET", "/healthz")[0]
        disk.free()
        recovered = await healthy(server)
        (control / "finish").touch()
        complete = await viewer.until(is_complete)
        seqs = [r["seq"] for r in viewer.records()]
        during = sum(
            1 for r in viewer.records() if r["type"] == "event" and r["data"].get("line", "").startswith("during")
        )
        return Row(
            "disk full while the test prints 3,000 lines (4 MB tmpfs)",
            verdict(complete),
            f"`store_unavailable` {told:.1f} s after the disk filled; /healthz {health}; the test printed all it had"
            f" while nothing committed; then {during:,}/3,000 lines and every seq 1..{seqs[-1]} in order: "
            f"{seqs == list(range(1, seqs[-1] + 1))}",
            f"/healthz 200 {recovered:.2f} s after space was freed",
        )


async def outage_bound(case: Path, root: Path, args, seed: int) -> Row:
    async with on_small_disk(case, root, LITMUS_MAX_OUTAGE="5") as (disk, server, control):
        run_id = server.launch(f"{STORE_FAULT}::test_keeps_printing")
        viewer = await Viewer.of(server, run_id)
        await viewer.until(line("tick 00010 " + "x" * 40))
        pid = int((control / "pid").read_text())
        disk.fill()
        await viewer.until(is_store_error)
        failing = time.monotonic()
        while is_running(pid):
            await asyncio.sleep(0.05)
        stopped = time.monotonic() - failing
        disk.free()
        freed = time.monotonic()
        complete = await viewer.until(is_complete)
        return Row(
            "store down past its bound (LITMUS_MAX_OUTAGE=5)",
            verdict(complete),
            f"`store_unavailable`; the test process was stopped {stopped:.1f} s after the first failed commit;"
            " its complete arrived once the disk had room",
            f"complete delivered {time.monotonic() - freed:.2f} s after space was freed",
        )


async def answer_on_full_disk(case: Path, root: Path, args, seed: int) -> Row:
    async with on_small_disk(case, root) as (disk, server, control):
        run_id = server.launch(f"{STORE_FAULT}::test_acts_on_an_answer")
        viewer = await Viewer.of(server, run_id)
        prompt = await viewer.until(lambda m: m["type"] == "prompt")
        disk.fill()
        (control / "go").touch()
        await viewer.until(is_store_error)
        await viewer.ws.send(json.dumps({"type": "prompt_response", "id": "a1", "run_id": run_id,
                                         "prompt_id": prompt["prompt_id"], "value": True, "via": "ui"}))  # fmt: skip
        with contextlib.suppress(TimeoutError):
            await viewer.until(lambda m: m.get("id") == "a1", timeout=3)
        held = not any(m.get("id") == "a1" for m in viewer.seen) and not (control / "acted").exists()
        disk.free()
        freed = time.monotonic()
        reply = await viewer.until(lambda m: m.get("id") == "a1")
        replied = time.monotonic() - freed
        await appears(control / "acted")
        (control / "finish").touch()
        complete = await viewer.until(is_complete)
        [resolved] = [
            r["data"] for r in viewer.records() if r["type"] == "event" and r["data"]["kind"] == "prompt_resolved"
        ]
        return Row(
            "prompt answered while the disk is full",
            verdict(complete),
            f"no reply and the test did not act while the disk was full (3 s): {held}; then `{reply['type']}`;"
            f" the log says {resolved['resolution']} by {resolved['who']}",
            f"`prompt_accepted` {replied:.2f} s after space was freed, then the test acted",
        )


async def abort_on_full_disk(case: Path, root: Path, args, seed: int) -> Row:
    async with on_small_disk(case, root) as (disk, server, control):
        run_id = server.launch(f"{STORE_FAULT}::test_keeps_printing")
        viewer = await Viewer.of(server, run_id)
        await viewer.until(line("tick 00010 " + "x" * 40))
        pid = int((control / "pid").read_text())
        disk.fill()
        await viewer.until(is_store_error)
        refused, body = server.request("POST", f"/api/runs/{run_id}/abort")
        await asyncio.sleep(3)
        alive = is_running(pid)
        disk.free()
        await healthy(server)
        started = time.monotonic()
        accepted = server.request("POST", f"/api/runs/{run_id}/abort")[0]
        complete = await viewer.until(is_complete)
        aborts = [r for r in viewer.records() if r["type"] == "event" and r["data"]["kind"] == "abort_requested"]
        return Row(
            "abort while the disk is full",
            verdict(complete),
            f'{refused} `{body["error"]["code"]}` "{body["error"]["message"][:60]}…"; the test still ran 3 s later: '
            f"{alive}; after the disk had room: {accepted}, {len(aborts)} `abort_requested` record before complete",
            f"aborted run complete {time.monotonic() - started:.2f} s after the second abort",
        )


async def launch_on_full_disk(case: Path, root: Path, args, seed: int) -> Row:
    async with on_small_disk(case, root) as (disk, server, _):
        disk.fill()
        started = time.monotonic()
        status, body = server.request("POST", "/api/runs", {"test_path": "test_pass.py", "uut_serial": "SN-FULL"})
        answered = time.monotonic() - started
        disk.free()
        recovered = await healthy(server)
        await asyncio.sleep(1)
        [run] = [r for r in server.request("GET", "/api/runs")[1] if r["uut_serial"] == "SN-FULL"] or [None]
        record = "no run" if run is None else f'{run["status"]} "{run["reason"]}"'
        message = body["error"]["message"] if status != 201 else "launched"
        return Row(
            "launch on an idle server whose disk is full",
            f"{record}; pytest never started",
            f'{status} "{message[:90]}…" after {answered:.1f} s',
            f"/healthz 200 {recovered:.2f} s after space was freed",
        )


async def stop_on_full_disk(case: Path, root: Path, args, seed: int) -> Row:
    async with on_small_disk(case, root) as (disk, server, control):
        run_id = server.launch(f"{STORE_FAULT}::test_keeps_printing")
        viewer = await Viewer.of(server, run_id)
        await viewer.until(line("tick 00010 " + "x" * 40))
        pid = int((control / "pid").read_text())
        disk.fill()
        await viewer.until(is_store_error)
        exited = server.term()
        with contextlib.suppress(Exception):
            await viewer.until(lambda m: False, timeout=5)
        code = viewer.ws.close_code
        disk.free()
        restarted = server.start()
        again = await Viewer.of(server, run_id)
        complete = await again.until(is_complete)
        return Row(
            "SIGTERM while the disk is full",
            verdict(complete),
            f"connections closed {code}; the test process ended: {not is_running(pid)}; the run's end is recorded"
            " at the next start (its records could not be)",
            f"server exited {exited:.1f} s after SIGTERM; restarted in {restarted:.2f} s",
        )


async def complete_on_full_disk(case: Path, root: Path, args, seed: int) -> Row:
    async with on_small_disk(case, root) as (disk, server, control):
        run_id = server.launch(f"{STORE_FAULT}::test_prints_through_a_full_disk")
        viewer = await Viewer.of(server, run_id)
        await viewer.until(line("before 99"))
        pid = int((control / "pid").read_text())
        disk.fill()
        (control / "go").touch()
        await viewer.until(is_store_error)
        (control / "finish").touch()  # the test ends, and its complete is written, while nothing commits
        while is_running(pid):
            await asyncio.sleep(0.05)
        await asyncio.sleep(2)
        health = server.request("GET", "/healthz")
        live = server.request("GET", f"/api/runs/{run_id}")[1]
        disk.free()
        freed = time.monotonic()
        complete = await viewer.until(is_complete)
        seqs = [r["seq"] for r in viewer.records()]
        return Row(
            "the run ends (its `complete` is written) while the disk is full",
            verdict(complete),
            f"`store_unavailable`; 2 s after the test process ended: /healthz {health[0]}, the run still"
            f" {live['status']} (is_live {live['is_live']}: nothing past the last commit shows); then every"
            f" seq 1..{seqs[-1]} in order: {seqs == list(range(1, seqs[-1] + 1))}",
            f"complete delivered {time.monotonic() - freed:.2f} s after space was freed",
        )


CASES = {
    "disk_full": disk_full, "outage_bound": outage_bound, "answer_full": answer_on_full_disk,
    "abort_full": abort_on_full_disk, "launch_full": launch_on_full_disk, "stop_full": stop_on_full_disk,
    "complete_full": complete_on_full_disk,
}  # fmt: skip
