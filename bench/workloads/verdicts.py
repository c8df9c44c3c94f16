"""Verdicts: what watching costs a suite, and that the counts are pytest's.

A suite of 1,000 fast tests (and the backend's comparison suites) run by plain pytest and
launched through a real server, in the same interpreter with the same plugins (the server's
own, so PYTEST_DISABLE_PLUGIN_AUTOLOAD for both), each `repeats` times, alternating. Wall time
of plain pytest (process start to exit) against Litmus Live (POST /api/runs to the complete
record committed, as the finished-runs feed tells a dashboard: the `run_finished` pushed to a
`subscribe_finished` connection, so the observer costs the server one message per run, not
an HTTP request every few milliseconds), as the median of the ratios; a row per suite names pytest's counts and exit
code and Litmus Live's, and fails when they differ. The fast suite also gets a CPU row: the
server's CPU plus its test process's (the server's children) over plain pytest's.

Nothing here is pinned (unlike the other workloads): on a station the server and pytest share
the machine. Pinning the server to one CPU would put the watched pytest, its child, on that CPU
beside the server while plain pytest has the other CPU to itself, billing every cycle the
server spends to the watched run's wall time; on a station the OS runs them side by side.
This is the table of the verdict comparison: `bench/run.py --only verdicts --no-save`.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import cpus
from server import Server, credential, process_cpu_seconds, workdir
from table import Row, Target, below
from websockets.sync.client import connect

from workloads import repeats

TESTS = 1000
COMPAT = Path(__file__).resolve().parents[2] / "backend" / "tests" / "suites" / "compat"
SUITES = ("warnings/", "outcomes/", "collection/", "output/", "subtests/", "capsys/")
_SUMMARY = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)\b")
_KEYS = {"error": "errors", "errors": "errors"}
_FAST = """
import pytest


@pytest.mark.parametrize("i", range({n}))
def test_fast(i):
    assert i + 0 == i
"""


def run(quick: bool) -> list[Row]:
    with workdir() as tmp, cpus.unpinned():
        root = Path(tmp) / "tests"
        shutil.copytree(COMPAT, root, ignore=shutil.ignore_patterns("srclayout"))
        (root / "fast").mkdir()
        (root / "fast" / "test_fast.py").write_text(_FAST.format(n=TESTS))
        (root / "fast" / "pytest.ini").write_text("[pytest]\n")
        with Server(Path(tmp), root) as server, _Finished(server) as finished:
            fast = _Runs(server, finished, root, "fast/", repeats(quick))
            name = f"{TESTS:,} fast tests"
            rows = [fast.wall_row(f"{name} (nothing pinned)", below(1.15)), fast.cpu_row(name)]
            for suite in SUITES:
                rows.append(_Runs(server, finished, root, suite, repeats(quick)).wall_row(f"suite {suite}", None))
    return rows


class _Finished:
    """The server's finished-runs feed: when each run's complete record was committed, as pushed."""

    def __init__(self, server: Server) -> None:
        self._ws = connect(server.ws_url, subprotocols=["litmus-live.v1"], additional_headers=credential(),
                           compression=None, max_size=4 * 1024 * 1024, ping_interval=None)  # fmt: skip
        self._ws.recv()  # welcome
        self._ws.send(json.dumps({"type": "subscribe_finished", "id": "bench"}))
        self._ended: dict[str, float] = {}
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def __enter__(self) -> _Finished:
        return self

    def __exit__(self, *exc: object) -> None:
        self._ws.close()
        self._reader.join(10)

    def _read(self) -> None:
        for frame in self._ws:
            at = time.time()
            messages = json.loads(frame)
            for message in messages if isinstance(messages, list) else [messages]:
                if message.get("type") == "run_finished":
                    with self._cond:
                        self._ended[message["run_id"]] = at
                        self._cond.notify_all()

    def wait(self, run_id: str, timeout: float) -> float:
        """Wall-clock time at which the run's run_finished arrived."""
        with self._cond:
            if not self._cond.wait_for(lambda: run_id in self._ended, timeout):
                raise TimeoutError(f"no run_finished for run {run_id} within {timeout} s")
            return self._ended[run_id]


class _Runs:
    """`target` run `times` times each way, alternating: wall and CPU seconds, counts and exit codes."""

    def __init__(self, server: Server, finished: _Finished, root: Path, target: str, times: int) -> None:
        self.plain: list[tuple[float, float]] = []
        self.watched: list[tuple[float, float]] = []
        self.differences: list[str] = []
        self._finished = finished
        for _ in range(times):
            self._once(server, root, target)

    def _once(self, server: Server, root: Path, target: str) -> None:
        started, cpu = time.perf_counter(), _children_cpu()
        self.counts, self.exit_code = _plain(root, target)
        self.plain.append((time.perf_counter() - started, _children_cpu() - cpu))
        cpu = _server_cpu(server)
        run_id, launched = server.launch(target)
        ended = self._finished.wait(run_id, timeout=300)
        self.watched.append((ended - launched, _server_cpu(server) - cpu))
        summary = server.run(run_id)
        self.ours = {key: summary[key] for key in self.counts}, summary["exit_code"]
        if self.ours != (self.counts, self.exit_code):
            self.differences.append(f"pytest {_words(self.counts, self.exit_code)}; Litmus Live {_words(*self.ours)}")

    def wall_row(self, name: str, target: Target | None) -> Row:
        plain = statistics.median(wall for wall, _ in self.plain)
        ratios = [wall / plain for wall, _ in self.watched]
        figure = f"{name}, wall time Litmus Live / plain pytest (pytest: {_words(self.counts, self.exit_code)}; " \
            f"Litmus Live: {_words(*self.ours)})"  # fmt: skip
        ratio = "" if target else f"{statistics.median(ratios):.2f}x"
        return Row("verdicts", figure, "", ratios, target, against=f"plain {plain:.2f} s", ratio=ratio,
                   error="; ".join(self.differences))  # fmt: skip

    def cpu_row(self, name: str) -> Row:
        plain = statistics.median(cpu for _, cpu in self.plain)
        ratios = [cpu / plain for _, cpu in self.watched]
        figure = f"{name}, CPU seconds (server + its test process) / plain pytest's"
        ratio = f"{statistics.median(ratios):.2f}x"
        return Row("verdicts", figure, "", ratios, against=f"plain {plain:.2f} s", ratio=ratio)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _server_cpu(server: Server) -> float:
    """The server's CPU and that of the children it has waited for (its test processes)."""
    return process_cpu_seconds(server.pid, with_children=True)


def _plain(root: Path, target: str) -> tuple[dict[str, int], int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "LITMUS_"))}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    command = [sys.executable, "-m", "pytest", "--color=no", target]
    # a session of its own, as the runner gives the watched pytest: with the kernel's autogroup
    # scheduling each session gets an equal share of the CPUs, so both sides are treated alike
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, encoding="utf-8", errors="replace",
                          timeout=300, check=False, start_new_session=True)  # fmt: skip
    last = (done.stdout.strip().splitlines() or [""])[-1]
    counts = dict.fromkeys(("passed", "failed", "errors", "skipped", "xfailed", "xpassed"), 0)
    for number, word in _SUMMARY.findall(last):
        counts[_KEYS.get(word, word)] += int(number)
    return counts, done.returncode


def _words(counts: dict[str, int], exit_code: int) -> str:
    shown = ", ".join(f"{n} {key}" for key, n in counts.items() if n) or "nothing ran"
    return f"{shown}; exit {exit_code}"
