"""Prompt round trip: how long `prompt(...)` blocks a test when a script answers at once.

A generated test asks a confirm prompt N times (quick: 30, full: 200) and prints how long
each call took, measured inside the test. A `websockets` client in another process
subscribes to the run and answers each `prompt` record with `prompt_response` as soon as it
arrives. The path: plugin → runner → store → hub → client → prompts → runner → plugin.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from clients import Client
from server import Server, workdir
from station import Station
from table import Row, below

from workloads import repeats

_TEST = """
import time

import pytest


@pytest.mark.litmus_prompts(go={"message": "Go on?", "prompt_type": "confirm"})
def test_prompt_round_trip(prompt):
    for i in range(CALLS):
        started = time.perf_counter()
        assert prompt("go") is True
        print(f"prompt_ms={(time.perf_counter() - started) * 1e3:.3f}", flush=True)
"""
_FIGURE = re.compile(r"prompt_ms=(\d+\.\d+)")


def run(quick: bool) -> list[Row]:
    calls = 30 if quick else 200
    with workdir() as tmp:
        station = Station(Path(tmp) / "tests")
        test = station.write(f"test_prompts_{calls}.py", _TEST, CALLS=calls)
        with Server(Path(tmp), station.root) as server:
            runs = [_round_trips(server, test, calls) for _ in range(repeats(quick))]
    label = f"{calls} confirms answered by a script"
    return [
        Row("prompt", f"prompt() round trip p50, {label}", "ms", [_percentile(r, 50) for r in runs], below(20.0)),
        Row("prompt", f"prompt() round trip p99, {label}", "ms", [_percentile(r, 99) for r in runs]),
    ]


def _round_trips(server: Server, test: str, calls: int) -> list[float]:
    with Client("answer", server.ws_url) as responder:
        run_id, _ = server.launch(test)
        responder.follow(run_id)
        answered = responder.result()["answered"]
    _, summary = server.wait_run_complete(run_id, timeout=60)
    figures = sorted(float(ms) for ms in _FIGURE.findall(server.output(run_id)))
    if summary["status"] != "PASSED" or len(figures) != calls:
        raise RuntimeError(f"run {run_id} {summary['status']}: {len(figures)} of {calls} timed, {answered} answered")
    return figures


def _percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[max(0, math.ceil(q / 100 * len(sorted_values)) - 1)]
