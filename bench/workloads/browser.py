"""Browser: the Events tab of /live/<run_id> in headless Chromium, driven by bench/browser.mjs.

The server serves the built SPA (frontend/dist, built first if missing). Burst: the page
follows a live run that waits for a trigger file, then prints 10,000 lines at once; the
figure is the time from the trigger to the last line's row on screen. Frames: the page holds
a live run's 100,000 lines, then the test prints 1,000 lines a second while the page times
each frame: its time, from the frame's start (the requestAnimationFrame timestamp) to the end
of its rendering (a message posted from the rAF callback runs as the first task after the
frame's style, layout and paint), against the 16.7 ms budget of a 60 Hz refresh; and its
interval, the rAF delta, which comes in whole refreshes whatever the work (16.7 ms when it
keeps up, 33 ms when a frame is dropped) and so shows drops, not cost. Beside
them, the page's main-thread CPU in the same window (thread time, so a loaded machine's waits for
a core do not count), the CPU of all Chromium's processes (compositor, raster, network and GPU
process included), and the same frame figures of an empty page right after, on the same machine
under the same load: when even that one misses frames, the machine is too busy to judge the
page's frames by.

Chromium is not pinned: the server stays on its CPU and the test process on the load CPU, but
the browser may run on either, as the OS places it. An operator's browser shares no core with
the test process by decree; pinned beside the test printing 1,000 lines/s (and the bench), its
renderer, compositor, raster and display threads queued behind them and lost frames the page's
own work did not explain (at a load average of about 7: p99 33-50 ms pinned, 16.8 ms unpinned).
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import cpus
from server import BENCH, Server, workdir
from station import Station
from table import Row, below

from workloads import repeats

FRONTEND = BENCH.parent / "frontend"
BURST = 10_000
HELD = 100_000
RATE = 1000
# A frame's time, from its start to its rendering done, against the 60 Hz budget of one refresh.
BUDGET = below(16.7)
# rAF deltas come in whole refreshes (16.7 ms at 60 Hz): under one refresh and a bit means no frame was dropped.
INTERVAL = below(17.0)

_BURST = """
import os
import sys
import time


def test_burst():
    print("armed", flush=True)
    while not os.path.exists(TRIGGER):
        time.sleep(0.002)
    sys.stdout.write("".join(f"burst {i:05d} {PAD}\\n" for i in range(BURST)))
    sys.stdout.flush()
"""
_HOLD_THEN_STREAM = """
import os
import sys
import time


def test_hold_then_stream():
    write = sys.stdout.write
    for start in range(0, HELD, 1000):
        write("".join(f"line {i:07d} {PAD}\\n" for i in range(start, start + 1000)))
    sys.stdout.flush()
    while not os.path.exists(TRIGGER):
        time.sleep(0.002)
    period, due = 1.0 / RATE, time.perf_counter()
    end = due + SECONDS
    while due < end:
        while (now := time.perf_counter()) < due:
            time.sleep(due - now)
        write(f"t={time.time():.6f} {PAD}\\n")
        sys.stdout.flush()
        due += period
"""


def run(quick: bool) -> list[Row]:
    if shutil.which("node") is None or not Path("/usr/bin/chromium").exists():
        raise RuntimeError("the browser workload needs node and /usr/bin/chromium (make test-e2e installs them)")
    dist = _dist()
    seconds = 3.0 if quick else 5.0
    with workdir() as tmp:
        station = Station(Path(tmp) / "tests")
        with Server(Path(tmp), station.root, static_dir=dist) as server:
            bursts = [_burst(server, station, Path(tmp), i) for i in range(repeats(quick))]
            frames = [_frames(server, station, Path(tmp), i, seconds) for i in range(repeats(quick))]
    return [
        Row("browser", f"burst of {BURST:,} lines: trigger → last row on screen", "ms",
            [b["trigger_to_last_ms"] for b in bursts]),
        Row("browser", "burst: first frame received → last row on screen", "ms",
            [b["first_frame_to_last_ms"] for b in bursts]),
        Row("browser", f"frame time p50 (start → rendered), {HELD:,} held + {RATE:,} new/s", "ms",
            [f["work_p50"] for f in frames], BUDGET),
        Row("browser", f"frame time p99 (start → rendered), {HELD:,} held + {RATE:,} new/s", "ms",
            [f["work_p99"] for f in frames], BUDGET),
        Row("browser", "frame time p99 (start → rendered) of an empty page, right after (the machine's floor)", "ms",
            [f["empty_work_p99"] for f in frames]),
        Row("browser", f"frame interval p50, {HELD:,} held + {RATE:,} new/s", "ms",
            [f["p50"] for f in frames], INTERVAL),
        Row("browser", f"frame interval p99, {HELD:,} held + {RATE:,} new/s", "ms",
            [f["p99"] for f in frames], INTERVAL),
        Row("browser", "frame interval p99 of an empty page, right after (the machine's floor)", "ms",
            [f["empty_p99"] for f in frames]),
        Row("browser", "events that arrived while frames were timed (per s)", "",
            [f["arrived"] / f["seconds"] for f in frames]),
        Row("browser", "page main-thread CPU while frames were timed (ms per s)", "ms",
            [f["cpu"]["task"] / f["seconds"] for f in frames]),
        Row("browser", "of which script (ms per s)", "ms", [f["cpu"]["script"] / f["seconds"] for f in frames]),
        Row("browser", "of which style + layout (ms per s)", "ms",
            [(f["cpu"]["style"] + f["cpu"]["layout"]) / f["seconds"] for f in frames]),
        Row("browser", "Chromium CPU, all its processes, while frames were timed (ms per s)", "ms",
            [f["cpu"]["chromium"] / f["seconds"] for f in frames]),
    ]  # fmt: skip


def _dist() -> Path:
    dist = FRONTEND / "dist"
    if not (dist / "index.html").exists():
        subprocess.run(["npm", "run", "--silent", "build"], cwd=FRONTEND, check=True, capture_output=True)
    return dist


def _burst(server: Server, station: Station, tmp: Path, i: int) -> dict:
    trigger = tmp / f"burst-{i}.go"
    test = station.write(f"test_burst_{i}.py", _BURST, BURST=BURST, TRIGGER=str(trigger))
    run_id, _ = server.launch(test)
    result = _node("burst", server.url, run_id, str(trigger), f"burst {BURST - 1:05d}")
    server.wait_run_complete(run_id, timeout=60)
    return result


def _frames(server: Server, station: Station, tmp: Path, i: int, seconds: float) -> dict:
    trigger = tmp / f"frames-{i}.go"
    test = station.write(
        f"test_frames_{i}.py", _HOLD_THEN_STREAM, HELD=HELD, RATE=RATE, SECONDS=seconds + 3, TRIGGER=str(trigger)
    )
    run_id, _ = server.launch(test)
    result = _node("frames", server.url, run_id, str(trigger), f"line {HELD - 1:07d}", str(seconds))
    server.wait_run_complete(run_id, timeout=60)
    deltas, times = sorted(result["deltas"]), sorted(result["times"])
    empty = result["empty"]
    return {"p50": _percentile(deltas, 50), "p99": _percentile(deltas, 99), "arrived": result["arrived"],
            "work_p50": _percentile(times, 50), "work_p99": _percentile(times, 99),
            "empty_p99": _percentile(sorted(empty["deltas"]), 99),
            "empty_work_p99": _percentile(sorted(empty["times"]), 99),
            "cpu": result["cpu"], "seconds": seconds}  # fmt: skip


def _node(*args: str) -> dict:
    with cpus.unpinned():  # the browser may run on any CPU (see the module's docstring)
        done = subprocess.run(
            ["node", str(BENCH / "browser.mjs"), *args], capture_output=True, text=True, timeout=120, check=False
        )
    if done.returncode != 0:
        raise RuntimeError(f"browser.mjs {args[0]} exited with {done.returncode}: {done.stderr[-500:]}")
    return json.loads(done.stdout.splitlines()[-1])


def _percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[max(0, math.ceil(q / 100 * len(sorted_values)) - 1)]
