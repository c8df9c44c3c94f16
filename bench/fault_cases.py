"""The cases of the fault drill (faults.py): each puts a real server through one fault and returns
one row of the fault table: what the run's record says, what a viewer saw, how long recovery took."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import random
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import fuzz
from faults import LITMUS, Server, Viewer

STORE_FAULT = "test_store_fault.py"


@dataclasses.dataclass
class Row:
    fault: str
    record: str  # status and reason, as the run's log has them
    viewers: str  # what a viewer (and the API) saw
    recovery: str  # seconds to recover, as measured


def table(rows: list[Row], seed: int) -> str:
    load = os.getloadavg()[0]
    lines = [f"Fault drill (`sudo .venv/bin/python bench/faults.py --seed {seed}`), {time.strftime('%Y-%m-%d %H:%M')},"
             f" 1-minute load {load:.1f} at the end ({os.cpu_count()} CPUs: seconds stretch with the load)",
             "", "| fault | status, reason (the run's record) | what viewers saw | recovery (measured) |",
             "|---|---|---|---|"]  # fmt: skip
    lines += [f"| {r.fault} | {r.record} | {r.viewers} | {r.recovery} |" for r in rows]
    return "\n".join(lines)


def line(text: str) -> Callable[[dict], bool]:
    return lambda m: m["type"] == "event" and m["data"]["kind"] == "output" and m["data"]["line"] == text


def is_store_error(m: dict) -> bool:
    return m["type"] == "error" and m["code"] == "store_unavailable"


def is_complete(m: dict) -> bool:
    return m["type"] == "complete"


def verdict(complete: dict) -> str:
    return f'{complete["status"]} "{complete["reason"]}" (done {complete["done"]}/{complete["total"]})'


async def appears(path: Path, timeout: float = 60.0) -> float:
    started = time.monotonic()
    while not path.exists():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{path} never appeared")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def healthy(server: Server, timeout: float = 60.0) -> float:
    started = time.monotonic()
    while server.request("GET", "/healthz")[0] != 200:
        if time.monotonic() - started > timeout:
            raise TimeoutError("/healthz never answered 200 again")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


def is_running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def kill_9(case: Path, root: Path, args, seed: int) -> Row:
    rng = random.Random(seed)
    server = Server(case / "data", root, case / "server.log", LITMUS_CHATTY_LINES="200000")
    server.start()
    points, exact, restarts, resumed = [], 0, [], []
    try:
        for _ in range(args.kills):
            run_id = server.launch("test_chatty.py")
            viewer = await Viewer.of(server, run_id)
            point = rng.randrange(2, 30_000)
            await viewer.until(lambda m, p=point: m.get("seq", 0) >= p)
            server.kill()
            held = viewer.records()
            points.append(held[-1]["seq"])
            restarts.append(server.start())
            started = time.monotonic()
            rest = await Viewer.of(server, run_id, since_seq=held[-1]["seq"])
            await rest.until(is_complete)
            resumed.append(time.monotonic() - started)
            whole = await Viewer.of(server, run_id)
            await whole.until(is_complete)
            exact += held + rest.records() == whole.records() == [r for r in whole.records() if r["seq"] >= 1]
            complete = whole.records()[-1]
    finally:
        server.stop()
    return Row(
        f"kill -9 at {args.kills} random points of a 200,000-line run (seqs {', '.join(map(str, points))})",
        verdict(complete),
        f"what a viewer held + a resume from its last seq == the whole log: {exact}/{args.kills}",
        f"restart to /healthz: median {statistics.median(restarts):.2f} s; resume to complete: median"
        f" {statistics.median(resumed):.2f} s",
    )


async def sigterm(case: Path, root: Path, args, seed: int) -> Row:
    server = Server(case / "data", root, case / "server.log", LITMUS_SLOW_STEPS="200")
    server.start()
    try:
        run_id = server.launch("test_slow.py")
        viewer = await Viewer.of(server, run_id)
        env = {**os.environ, "LITMUS_TOKEN": server.token}
        watch = subprocess.Popen([str(LITMUS), "watch", run_id, "--server", f"http://127.0.0.1:{server.port}"],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)  # fmt: skip
        first = await asyncio.to_thread(watch.stdout.readline)  # watch is connected and printing
        await viewer.until(line("tick 3"))
        exited = server.term()
        complete = await viewer.until(is_complete, timeout=5)
        with contextlib.suppress(Exception):
            await viewer.until(lambda m: False, timeout=5)
        started = time.monotonic()
        restarted = server.start()
        out, _ = await asyncio.to_thread(watch.communicate, timeout=120)
        watched = time.monotonic() - started
    finally:
        server.stop()
    last = (first + out).decode(errors="replace").strip().splitlines()[-1]
    return Row(
        "SIGTERM during a run (a viewer and `litmus-live watch` on it)",
        f"{verdict(complete)}, duration {complete['duration']:.1f} s",
        f'complete, then close {viewer.ws.close_code}; watch reconnected and exited {watch.returncode}: "{last}"',
        f"server exited {exited:.1f} s after SIGTERM; restarted in {restarted:.2f} s; watch done {watched:.2f} s"
        " after the restart began",
    )


async def long_prompt(case: Path, root: Path, args, seed: int) -> Row:
    server = Server(case / "data", root, case / "server.log")
    server.start()
    try:
        viewer = await Viewer.of(server, server.launch("test_drill.py"))
        complete = await viewer.until(is_complete)
    finally:
        server.stop()
    steps = [r["data"] for r in viewer.records() if r["type"] == "event" and r["data"]["kind"] == "step_finished"]
    shown = "; ".join(f"{s['nodeid'].split('::')[1]}: {s['outcome']} ({s['reason'][-70:]})" for s in steps)
    return Row("prompts with a 3,000-character message (declared, and as `message=`)", verdict(complete), shown, "-")


async def garbage_frame(case: Path, root: Path, args, seed: int) -> Row:
    server = Server(case / "data", root, case / "server.log")
    server.start()
    try:
        viewer = await Viewer.of(server, server.launch("test_garbage_report.py"))
        complete = await viewer.until(is_complete)
    finally:
        server.stop()
    errors = [r["data"] for r in viewer.records() if r["type"] == "event" and r["data"]["kind"] == "report_error"]
    return Row(
        "7 bad frames on the plugin channel (garbage, wrong types, over limits, 2 MiB, overflowing values)",
        verdict(complete),
        f"{len(errors)} `report_error` events, each on its step; {complete['passed']} passed",
        "-",
    )


async def fuzzing(case: Path, root: Path, args, seed: int) -> Row:
    server = Server(case / "data", root, case / "server.log")
    server.start()
    try:
        closes, codes = await fuzz.run(server, args.frames, seed)
        health = server.request("GET", "/healthz")[0]
        tracebacks = server.tracebacks()
    finally:
        server.stop()
    shown = ", ".join(f"{c}: {closes.count(c)}" for c in sorted(set(closes), key=str))
    return Row(
        f"fuzz: {args.frames:,} generated frames (seed {seed})",
        f"server serves after it: /healthz {health}",
        f"closes {shown}; error codes {', '.join(sorted(codes))}",
        f"tracebacks in the server log: {tracebacks}",
    )


CASES = {"kill9": kill_9, "sigterm": sigterm, "long_prompt": long_prompt, "garbage_frame": garbage_frame,
         "fuzz": fuzzing}  # fmt: skip
