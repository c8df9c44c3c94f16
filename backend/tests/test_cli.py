"""The command line against a real server: launch --watch mirrors the verdict."""

from __future__ import annotations

import subprocess
import sys

from conftest import Server


def litmus(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "litmus_live.cli", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_launch_and_watch_a_passing_run_exits_0(server: Server) -> None:
    done = litmus("launch", "test_pass.py", "--serial", "SN-9", "--server", server.http, "--watch")
    assert done.returncode == 0, done.stderr
    assert "run of test_pass.py on UUT SN-9" in done.stdout
    assert "PASSED   test_pass.py::test_one" in done.stdout
    assert done.stdout.rstrip().endswith("== PASSED (exit code 0)")


def test_watch_a_failed_run_exits_1(server: Server) -> None:
    done = litmus("launch", "test_mixed.py", "--server", server.http, "--watch")
    assert done.returncode == 1
    assert "FAILED   test_mixed.py::test_broken" in done.stdout and "arithmetic is broken" in done.stdout
    run_id = done.stdout.split()[1].rstrip(":")
    again = litmus("watch", run_id, "--server", server.http)
    assert again.returncode == 1 and again.stdout == done.stdout.split("\n", 1)[1]


def test_launch_refused_and_unreachable_servers_are_reported(server: Server) -> None:
    refused = litmus("launch", "../etc/passwd", "--server", server.http)
    assert refused.returncode == 2 and "outside the test root" in refused.stderr
    unknown = litmus("watch", "no-such-run", "--server", server.http)
    assert unknown.returncode == 2 and "run_not_found" in unknown.stderr
    down = litmus("launch", "test_pass.py", "--server", "http://127.0.0.1:9")
    assert down.returncode == 2 and "cannot reach" in down.stderr
