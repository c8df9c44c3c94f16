"""The runner: test paths under the root, verdicts from exit codes, failures to start."""

from __future__ import annotations

import datetime as dt
import json
import re
import signal
from pathlib import Path

import msgspec
import pytest
import websockets
from conftest import SUITES, Server, collect_run, connect, receive

from litmus_live.channels import ChannelBoard
from litmus_live.events import Status
from litmus_live.live_run import MAX_LINE
from litmus_live.prompts import Prompts
from litmus_live.runner import InvalidTestPath, LaunchRequest, Runner, resolve_test_path
from litmus_live.store import SqliteStore
from litmus_live.verdict import pytest_said, verdict


def test_paths_resolve_inside_the_root_only(tmp_path: Path) -> None:
    (tmp_path / "suite").mkdir()
    (tmp_path / "suite" / "test_a.py").write_text("")
    (tmp_path / "outside_test.py").write_text("")
    root = tmp_path / "suite"
    assert resolve_test_path(root, "test_a.py") == str(root / "test_a.py")
    assert resolve_test_path(root, "test_a.py::test_x[1]") == f"{root / 'test_a.py'}::test_x[1]"
    assert resolve_test_path(root, ".") == str(root)
    for bad, why in [
        ("../outside_test.py", "outside the test root"),
        (str(tmp_path / "outside_test.py"), "outside the test root"),
        ("missing.py", "does not exist"),
        ("", "must name a file"),
        ("::test_x", "must name a file"),
    ]:
        with pytest.raises(InvalidTestPath, match=why):
            resolve_test_path(root, bad)


def test_a_symlink_out_of_the_root_is_refused(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "secret_test.py").write_text("")
    (tmp_path / "root" / "link_test.py").symlink_to(tmp_path / "secret_test.py")
    with pytest.raises(InvalidTestPath, match="outside the test root"):
        resolve_test_path(tmp_path / "root", "link_test.py")


@pytest.mark.parametrize(
    ("exit_code", "aborted", "expected"),
    [
        (0, False, (Status.PASSED, "")),
        (1, False, (Status.FAILED, "2 failed of 5 tests")),
        (2, False, (Status.ERROR, "interrupted")),
        (3, False, (Status.ERROR, "internal error")),
        (4, False, (Status.ERROR, "usage error")),
        (5, False, (Status.ERROR, "no tests collected")),
        (7, False, (Status.ERROR, "exit code 7")),
        (-signal.SIGKILL, False, (Status.ERROR, "killed by signal 9 (SIGKILL)")),
        (-signal.SIGSEGV, False, (Status.ERROR, "killed by signal 11 (SIGSEGV)")),
        (None, False, (Status.ERROR, "exit code None")),
        (2, True, (Status.ABORTED, "aborted by operator")),
    ],
)
def test_the_verdict_follows_the_exit_code(exit_code: int | None, aborted: bool, expected: tuple) -> None:
    assert verdict(exit_code, is_aborted=aborted, failed=2, errors=0, total=5) == expected


@pytest.mark.parametrize(
    ("exit_code", "lines", "said"),
    [
        (4, ["ERROR: usage: python -m pytest [options] [file_or_dir] [file_or_dir] [...]",
             "python -m pytest: error: unrecognized arguments: --cov=station --cov-report=term", "  inifile: x"],
         "unrecognized arguments: --cov=station --cov-report=term"),
        (4, ["", "ERROR: not found: /st/tests/sub/test_x.py::nope", "(no match in any of [<Module test_x.py>])"],
         "not found: sub/test_x.py::nope"),
        (4, ["ERROR: file or directory not found: /st/tests/gone.py", ""], "file or directory not found: gone.py"),
        (3, ["INTERNALERROR> Traceback (most recent call last):", "INTERNALERROR>   File \"x\", line 1",
             "INTERNALERROR> E   KeyError: 'bench'", "INTERNALERROR> "], "KeyError: 'bench'"),
        (4, ["no tests ran in 0.01s"], ""),
        (1, ["ERROR: not found: x"], ""),
    ],
)  # fmt: skip
def test_pytests_own_words_explain_an_internal_or_usage_error(exit_code: int, lines: list[str], said: str) -> None:
    assert pytest_said(exit_code, lines, "/st/tests/") == said


async def test_a_process_that_cannot_start_is_an_error_saying_why_in_words(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite3")
    await store.open()
    prompts = Prompts(store.append, store.flush)
    runner = Runner(
        tests_root=SUITES,
        data_dir=tmp_path,
        emit=store.append,
        durable=store.flush,
        open_prompt=prompts.open,
        withdraw_prompts=prompts.withdraw,
        readings=ChannelBoard(lambda run_id, frame: None, store.append_samples, store.save_channels),
        python=str(tmp_path / "no-such-python"),
    )
    run_id = runner.launch(LaunchRequest(test_path="test_pass.py", uut_serial="SN"))
    await runner.join()
    await store.flush()
    records = [msgspec.json.decode(r) for r in await store.since(run_id, 0)]
    await store.close()
    complete = records[-1]
    assert (complete["type"], complete["status"], complete["exit_code"]) == ("complete", "ERROR", None)
    assert (
        complete["reason"]
        == f"could not start the test process {tmp_path / 'no-such-python'}: No such file or directory"
    )


def _joined(records: list[dict], stream: str) -> str:
    return "".join(m["data"]["line"] for m in records if m["type"] == "event" and m["data"].get("stream") == stream)


def _longest_run(text: str, char: str) -> int:
    return max((len(run) for run in re.findall(f"{re.escape(char)}+", text)), default=0)


def _lines(records: list[dict]) -> list[str]:
    return [m["data"]["line"] for m in records if m["type"] == "event" and m["data"]["kind"] == "output"]


async def test_long_lines_are_cut_between_characters_and_bytes_kept_exactly(server: Server) -> None:
    run_id = server.launch("compat/output/test_output.py")
    async with await connect(server.ws) as ws:
        records = await collect_run(ws, run_id)
    lines = _lines(records)
    assert max(len(line.encode()) for line in lines) <= MAX_LINE
    out, err = _joined(records, "stdout"), _joined(records, "stderr")  # the pieces of each line, rejoined
    assert _longest_run(out, "x") == 40_000
    assert _longest_run(out, "\u00e9") == 20_000  # no character was cut
    assert _longest_run(err, "\u20ac") == 9_000
    assert _longest_run(out, "\u00fc") == 12_000
    # (a test's first line may follow pytest's progress dots on the same line, as in a terminal)
    assert any(line.endswith("raw \ufffd\ufffd bytes") for line in lines)
    numbered = [m.group(0) for line in lines if (m := re.search(r"line \d+$", line))]
    assert numbered == [f"line {i}" for i in range(2_000)]
    log = (server.data_dir / "runs" / run_id / "output.log").read_bytes()
    assert b"raw \xff\xfe bytes\n" in log
    assert b"pipe raw \xff\xfe " + b"y" * 20_000 + b"\n" in log
    assert b"x" * 40_000 + b"\n" in log


async def test_the_process_group_ends_with_the_run(server_factory, tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    server = server_factory(env={"LITMUS_ABORT_GRACE": "3", "LITMUS_CHILD_PID_FILE": str(pid_file)})
    server.start()
    run_id = server.launch("test_forks.py")
    async with await connect(server.ws) as ws:
        records = await collect_run(ws, run_id)
    assert records[-1]["status"] == "PASSED"
    assert "child tick 1" in _lines(records)  # printed before the test ended: its output is kept
    pid = int(pid_file.read_text())
    assert not _is_running(pid), f"child {pid} outlived its run"


async def test_a_leftover_that_closed_its_pipes_still_gets_the_grace_after_sigterm(server_factory, tmp_path) -> None:
    done = tmp_path / "child.done"
    server = server_factory(env={"LITMUS_ABORT_GRACE": "20", "LITMUS_CHILD_DONE_FILE": str(done)})
    server.start()
    run_id = server.launch("test_forks_quiet.py")
    async with await connect(server.ws) as ws:
        records = await collect_run(ws, run_id)
    assert records[-1]["status"] == "PASSED"
    assert done.read_text() == "cleaned up"  # its SIGTERM handler ran to the end: no SIGKILL cut it short
    assert not _is_running(int(Path(f"{done}.pid").read_text()))


def _is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in state


async def test_a_graceful_stop_records_live_runs_as_stopped_before_clients_are_closed(server_factory) -> None:
    server = server_factory(env={"LITMUS_SLOW_STEPS": "200"})
    server.start()
    run_id = server.launch("test_slow.py")
    seen: list[dict] = []
    async with await connect(server.ws) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id}))
        while "tick 1" not in _lines(seen):
            seen += await receive(ws)
        server.process.send_signal(signal.SIGTERM)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                seen += await receive(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    completes = [m for m in seen if m["type"] == "complete"]
    assert completes, [m["type"] for m in seen[-5:]]
    complete = completes[0]
    assert (complete["status"], complete["exit_code"]) == ("ERROR", None)
    assert complete["reason"] == "server stopped during the run"
    assert (complete["total"], complete["done"]) == (1, 0)  # the one step never finished
    interrupted = [m["data"] for m in seen if m["type"] == "event" and m["data"]["kind"] == "step_finished"]
    assert [(s["nodeid"], s["outcome"]) for s in interrupted] == [("test_slow.py::test_slow_steps", "interrupted")]
    assert server.process.wait(30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled
    server.start()
    async with await connect(server.ws) as ws:
        again = await collect_run(ws, run_id)
    assert [r["seq"] for r in again if r["type"] == "complete"] == [complete["seq"]]  # nothing added at restart


async def test_a_run_closed_at_start_up_after_a_crash_tells_the_truth(server_factory) -> None:
    server = server_factory(env={"LITMUS_SLOW_STEPS": "200"})
    server.start()
    run_id = server.launch("test_slow.py")
    seen: list[dict] = []
    async with await connect(server.ws) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id}))
        while "tick 2" not in _lines(seen):  # printed a second after the step started
            seen += await receive(ws)
    server.kill()
    server.start()
    async with await connect(server.ws) as ws:
        records = await collect_run(ws, run_id)
    complete = records[-1]
    assert (complete["status"], complete["reason"]) == ("ERROR", "server stopped during the run")
    assert (complete["total"], complete["done"]) == (1, 0)
    assert complete["duration"] >= 1.0  # launch to the close, not 0
    last_step = [m["data"] for m in records if m["type"] == "event" and m["data"]["kind"] == "step_finished"][-1]
    assert (last_step["nodeid"], last_step["outcome"]) == ("test_slow.py::test_slow_steps", "interrupted")
    # it ran from its step_started to the close, like the run: not 0 s
    [started] = [m for m in records if m["type"] == "event" and m["data"]["kind"] == "step_started"]
    ran = (dt.datetime.fromisoformat(complete["ts"]) - dt.datetime.fromisoformat(started["ts"])).total_seconds()
    assert last_step["duration"] == pytest.approx(ran, abs=0.01) and last_step["duration"] >= 1.0
    summary = server.get(f"/api/runs/{run_id}")
    assert (summary["done"], summary["total"], summary["current_step"]) == (0, 1, None)


async def test_sys_capture_output_is_shown_once_and_bytes_past_it_kept_exactly(server: Server) -> None:
    run_id = server.launch("compat/capsys/")
    async with await connect(server.ws) as ws:
        records = await collect_run(ws, run_id)
    lines = _lines(records)
    log = (server.data_dir / "runs" / run_id / "output.log").read_bytes()
    assert b"fd raw \xff\xfe bytes\n" in log
    assert any(line.endswith("fd raw \ufffd\ufffd bytes") for line in lines)
    # (pytest prints a failed test's captured output again in its report: only passing ones are counted)
    for text in ("sys text caf\u00e9 \u20ac", "no newline at the end", "sys to stderr"):
        assert log.count(text.encode()) == 1, text
        assert sum(line.count(text) for line in lines) == 1, text
    for i in (0, 2):
        assert log.count(f"sys subtest {i}\n".encode()) == 1
        assert sum(line.count(f"sys subtest {i}") for line in lines) == 1


async def test_subtests_output_is_shown_once_under_fd_capture(server: Server) -> None:
    run_id = server.launch("compat/subtests/")
    async with await connect(server.ws) as ws:
        records = await collect_run(ws, run_id)
    lines = _lines(records)
    log = (server.data_dir / "runs" / run_id / "output.log").read_bytes()
    for i in (0, 1, 2, 4):  # (3 fails: pytest prints its output again in the report)
        assert log.count(f"subtest {i}\n".encode()) == 1, log.decode(errors="replace")[-3000:]
        assert sum(line.count(f"subtest {i}") for line in lines) == 1, i
