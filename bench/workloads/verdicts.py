"""Verdicts: what watching costs a suite, and that the counts are pytest's.

A suite of 1,000 fast tests (and the backend's comparison suites) run by plain pytest and
launched through a real server, in the same interpreter with the same plugins (the server's
own, so PYTEST_DISABLE_PLUGIN_AUTOLOAD for both). Wall time of plain pytest (process start to
exit) against Litmus Live (POST /api/runs to the complete record committed); a row per suite
also says whether the counts and exit code were equal.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from server import Server, workdir
from table import Row, below

from workloads import repeats

TESTS = 1000
# How often the end of a run is polled: the server shares a core with the tests it runs, so
# polling it at 100/s would bill the observer's requests (each an HTTP round trip, a token
# looked up) to Litmus Live. 50 ms makes an end read at most that much late, never early.
_POLL = 0.05
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
    with workdir() as tmp:
        root = Path(tmp) / "tests"
        shutil.copytree(COMPAT, root, ignore=shutil.ignore_patterns("srclayout"))
        (root / "fast").mkdir()
        (root / "fast" / "test_fast.py").write_text(_FAST.format(n=TESTS))
        (root / "fast" / "pytest.ini").write_text("[pytest]\n")
        with Server(Path(tmp), root) as server:
            rows = [_ratio(server, root, "fast/", repeats(quick), f"{TESTS:,} fast tests")]
            rows += [_ratio(server, root, suite, 1, f"suite {suite}") for suite in SUITES]
    return rows


def _ratio(server: Server, root: Path, target: str, times: int, name: str) -> Row:
    plain, watched, differences = [], [], []
    for _ in range(times):
        started = time.perf_counter()
        counts, exit_code = _plain(root, target)
        plain.append(time.perf_counter() - started)
        run_id, launched = server.launch(target)
        ended = server.wait_no_live_runs(timeout=300, every=_POLL)
        watched.append(ended - launched)
        summary = server.run(run_id)
        ours = {key: summary[key] for key in counts}
        if (ours, summary["exit_code"]) != (counts, exit_code):
            differences.append(f"pytest {counts} exit {exit_code}, Litmus Live {ours} exit {summary['exit_code']}")
    figure = f"{name}: Litmus Live / plain pytest wall time ({_words(counts, exit_code)})"
    ratios = [w / statistics.median(plain) for w in watched]
    target = below(1.15) if times > 1 else None
    against = "" if target else f"plain {statistics.median(plain):.2f} s"
    ratio = "" if target else f"{statistics.median(ratios):.2f}x"
    return Row("verdicts", figure, "", ratios, target, against=against, ratio=ratio, error="; ".join(differences))


def _plain(root: Path, target: str) -> tuple[dict[str, int], int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "LITMUS_"))}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    command = [sys.executable, "-m", "pytest", "--color=no", target]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, encoding="utf-8", errors="replace",
                          timeout=300, check=False)  # fmt: skip
    last = (done.stdout.strip().splitlines() or [""])[-1]
    counts = dict.fromkeys(("passed", "failed", "errors", "skipped", "xfailed", "xpassed"), 0)
    for number, word in _SUMMARY.findall(last):
        counts[_KEYS.get(word, word)] += int(number)
    return counts, done.returncode


def _words(counts: dict[str, int], exit_code: int) -> str:
    shown = ", ".join(f"{n} {key}" for key, n in counts.items() if n) or "nothing ran"
    return f"{shown}; exit {exit_code}"
