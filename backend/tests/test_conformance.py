"""The conformance suite (conformance/) passes against our own server serving the demo suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import TOKEN, Server

REPO = Path(__file__).resolve().parents[2]


def test_our_server_passes_the_conformance_suite(tmp_path: Path) -> None:
    server = Server(tmp_path / "data", tests=REPO / "examples")
    server.start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "--url", server.ws, "--token", TOKEN],
            cwd=REPO / "conformance", capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    finally:
        server.stop()
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary and "failed" not in summary, summary
