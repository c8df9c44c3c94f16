"""The station the benchmarks drive: a temp test root of generated pytest files.

Each stdout line a test prints becomes an `output` event. Tests here print as fast as they
can, print on a clock with their emit time in the line (`t=<epoch>`), or print once and idle.
"""

from __future__ import annotations

from pathlib import Path

from cpus import TEST_ENV

PAD = "x" * 60  # makes an output event about 190 bytes on the wire

_CONFTEST = f"""
import os

_cpus = os.environ.get({TEST_ENV!r})
if _cpus:
    os.sched_setaffinity(0, {{int(c) for c in _cpus.split(",")}})
"""

_FAST = """
import sys


def test_print_fast():
    write = sys.stdout.write
    for start in range(0, LINES, 1000):
        stop = min(start + 1000, LINES)
        write("".join(f"line {i:07d} {PAD}\\n" for i in range(start, stop)))
"""

# A paced test is the emitter whose timing the latency figures measure: it (every thread of
# its process, the plugin's capture thread too) goes before the subscriber processes that
# share its core, as viewers on other machines would not take its CPU; the ceiling's emitter
# runs inside the ceiling, on the server's core. Without the right to raise it, it stays.
_PACED = """
import os
import sys
import time


def _go_first():
    for thread in os.listdir("/proc/self/task"):
        try:
            os.setpriority(os.PRIO_PROCESS, int(thread), -10)
        except OSError:
            return


def test_print_on_a_clock():
    _go_first()
    write = sys.stdout.write
    period = 1.0 / RATE
    due = time.perf_counter()
    end = due + SECONDS
    n = 0
    while due < end:
        now = time.perf_counter()
        if now < due:
            time.sleep(due - now)
            continue
        write(f"t={time.time():.6f} n={n} {PAD}\\n")
        n += 1
        due += period
"""

_IDLE = """
import time


def test_idle():
    print("idle", flush=True)
    time.sleep(SECONDS)
"""


class Station:
    """A test root under `root`; each method writes one test file and returns its test path."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        (root / "conftest.py").write_text(_CONFTEST)

    def fast(self, lines: int) -> str:
        return self._write(f"test_fast_{lines}.py", _FAST, LINES=lines)

    def paced(self, rate: int, seconds: float) -> str:
        return self._write(f"test_paced_{rate}_{int(seconds * 1000)}.py", _PACED, RATE=rate, SECONDS=seconds)

    def idle(self, seconds: float) -> str:
        return self._write(f"test_idle_{int(seconds)}.py", _IDLE, SECONDS=seconds)

    def write(self, name: str, body: str, **constants: object) -> str:
        """A test file of a workload's own: `body` after `NAME = value` lines for `constants` and PAD."""
        return self._write(name, body, **constants)

    def _write(self, name: str, body: str, **constants: object) -> str:
        header = "".join(f"{key} = {value!r}\n" for key, value in {**constants, "PAD": PAD}.items())
        (self.root / name).write_text(header + body)
        return name
