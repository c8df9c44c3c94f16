"""Starting on a full disk (a real 4 MB tmpfs): after a crash the server starts, says why it
cannot commit, and closes the runs it finds live once the disk has room; a data dir it cannot
open at all is refused in one line, without a traceback."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Server
from probes import fill, healthy_again
from viewer import is_line, resume, watch


async def test_after_a_crash_a_full_disk_starts_degraded_and_closes_the_run_once_it_has_room(
    small_disk: Path, tmp_path: Path
) -> None:
    server = Server(small_disk / "data", env={"LITMUS_SLOW_STEPS": "200"})
    server.log = tmp_path / "server.log"
    server.start()
    try:
        run_id = server.launch("test_slow.py")
        viewer = await watch(server, run_id)
        await viewer.until(is_line("tick 1"))
        await viewer.ws.close()
        server.kill()
        filler = fill(small_disk)
        server.start(grant=False)  # the tests' token is there from the first start
        status, health = server.request("GET", "/healthz")
        for _ in range(100):  # the close of the stale run is what fails to commit
            if status == 503:
                break
            await asyncio.sleep(0.1)
            status, health = server.request("GET", "/healthz")
        assert (status, health["status"]) == (503, "store_unavailable"), health
        assert "database or disk is full" in health["reason"]
        filler.unlink()
        await healthy_again(server)
        history = await resume(server, run_id, 0)
        assert (history[-1]["status"], history[-1]["reason"]) == ("ERROR", "server stopped during the run")
        assert "Application startup failed" not in server.log.read_text()
    finally:
        server.stop()


@pytest.mark.parametrize("existing", [False, True], ids=["fresh", "stopped-cleanly"])
def test_a_data_dir_that_cannot_be_opened_on_a_full_disk_is_refused_in_one_line(
    small_disk: Path, tmp_path: Path, existing: bool
) -> None:
    data = small_disk / "data"
    if existing:
        server = Server(data)
        server.log = tmp_path / "first.log"
        server.start()
        server.stop()
    fill(small_disk)
    cmd = [sys.executable, "-m", "litmus_live.cli", "serve", "--port", "0", "--data-dir", str(data)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith(f"error: cannot open the data dir {data}: "), done.stderr
    assert "Traceback" not in done.stderr + done.stdout
