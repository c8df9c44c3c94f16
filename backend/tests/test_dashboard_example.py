"""protocol/examples/dashboard.mjs, the Node example client, watches real runs to their verdict."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from conftest import Server

DASHBOARD = Path(__file__).resolve().parents[2] / "protocol" / "examples" / "dashboard.mjs"
NODE = shutil.which("node")  # the frontend's build needs it too: make test never runs without it


def dashboard(server: Server, run_id: str) -> subprocess.CompletedProcess[str]:
    assert NODE is not None, "node is required (the frontend build needs it as well)"
    return subprocess.run(
        [NODE, "--experimental-websocket", "--no-warnings", str(DASHBOARD), server.ws, run_id],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_a_failed_run_prints_progress_steps_and_the_verdict_and_exits_1(server: Server) -> None:
    done = dashboard(server, server.launch("test_mixed.py", serial="SN-DASH"))
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "run of test_mixed.py on UUT SN-DASH"
    assert any(line.startswith("status RUNNING [") for line in lines)
    assert any(line.startswith("step failed test_mixed.py::test_broken") for line in lines)
    assert lines[-1].startswith("verdict FAILED (exit code 1)")


def test_a_passed_run_exits_0_and_an_unknown_run_exits_4(server: Server) -> None:
    passed = dashboard(server, server.launch("test_pass.py"))
    assert passed.returncode == 0 and passed.stdout.splitlines()[-1] == "verdict PASSED (exit code 0)"
    unknown = dashboard(server, "no-such-run")
    assert unknown.returncode == 4 and "error run_not_found" in unknown.stderr


def test_the_whole_lifecycle_launch_fold_answer_resume_and_both_feeds(server_factory) -> None:
    server = server_factory(tests=DASHBOARD.parents[2] / "examples")
    server.start()
    assert NODE is not None, "node is required (the frontend build needs it as well)"
    done = subprocess.run(
        [NODE, "--experimental-websocket", "--no-warnings", str(DASHBOARD), server.ws,
         "--launch", "station/test_setup.py", "--serial", "SN-NODE", "--drop-after", "5"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])
    run = server.get(f"/api/runs/{summary['run_id']}")
    assert (summary["status"], summary["finished_feed_status"], run["status"]) == ("PASSED",) * 3
    assert summary["records"] == summary["last_seq"] == run["last_seq"]
    assert (summary["gaps"], summary["duplicates"], summary["resumes"], summary["open_prompts"]) == (0, 0, 1, 0)
    assert summary["answered"] == summary["accepted"] == ["insert_uut", "pick_bench", "chamber_temp"]
    assert summary["active_feed_showed_it"] and set(summary["steps"].values()) == {"passed"}
    assert summary["closes"] == [4000]  # the one close it chose; nothing else closed it
