"""The command line against a real server: launch --watch mirrors the verdict."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import TEST_USER, Server

from litmus_live import cli, client
from litmus_live.events import Event, PromptResolved, Status, Via


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
    assert unknown.returncode == 4 and "run_not_found" in unknown.stderr
    down = litmus("launch", "test_pass.py", "--server", "http://127.0.0.1:9")
    assert down.returncode == 2 and "cannot reach" in down.stderr


def litmus_bg(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "litmus_live.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def printed_lines(process: subprocess.Popen[str]) -> tuple[list[str], threading.Thread]:
    """The lines `process` prints, appended as they come by a reader thread until it ends."""
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return lines, reader


def seqs_printed(lines: list[str]) -> list[int]:
    return [int(line.split()[0][1:]) for line in lines if line.startswith("#")]


def resolutions(server: Server, run_id: str) -> list[PromptResolved]:
    async def collect() -> list[PromptResolved]:
        return [r.data async for r in client.watch(server.ws, run_id) if isinstance(r, Event)]

    return [data for data in asyncio.run(collect()) if isinstance(data, PromptResolved)]


def test_a_killed_watch_restarted_with_since_seq_covers_every_seq_once(server: Server) -> None:
    run_id = server.launch("test_slow.py")
    first = litmus_bg("watch", run_id, "--server", server.http, "--show-seq")
    assert first.stdout is not None
    lines = []
    for line in first.stdout:
        lines.append(line)
        if "tick 2" in line:
            break
    first.kill()
    rest, _ = first.communicate()
    held = seqs_printed(lines + rest.splitlines())
    second = litmus("watch", run_id, "--server", server.http, "--show-seq", "--since-seq", str(held[-1]))
    assert second.returncode == 0, second.stderr
    assert second.stdout.rstrip().endswith("== PASSED (exit code 0)")
    resumed = seqs_printed(second.stdout.splitlines())
    assert held + resumed == list(range(1, resumed[-1] + 1))


def test_answer_by_name_or_id_reports_each_outcome(server: Server) -> None:
    run_id = server.launch("test_prompts.py::test_setup")
    ada = server.grant("ada")
    confirmed = litmus("answer", run_id, "insert_uut", "yes", "--who", "bob", "--wait", "--server", server.http,
                       "--token", ada)  # fmt: skip
    assert confirmed.returncode == 0 and confirmed.stdout == "accepted: insert_uut = true\n", confirmed.stderr
    wrong = litmus("answer", run_id, "pick_bench", "bench_09", "--wait", "--server", server.http)
    assert wrong.returncode == 1 and "invalid: invalid answer to prompt pick_bench" in wrong.stderr
    assert "not one of the choices" in wrong.stderr
    gone = litmus("answer", run_id, "insert_uut", "true", "--server", server.http)
    assert gone.returncode == 1 and 'no open prompt "insert_uut"' in gone.stderr
    assert "open: ['pick_bench']" in gone.stderr
    (bench_id,) = server.get(f"/api/runs/{run_id}")["open_prompts"]
    assert litmus("answer", run_id, bench_id, "bench_02", "--server", server.http).returncode == 0
    litmus("answer", run_id, "chamber_temp", "0", "--wait", "--server", server.http, "--via", "ui")
    watched = litmus("watch", run_id, "--server", server.http)
    assert watched.returncode == 0
    assert "? pick_bench (choice): Which bench? [bench_01 | bench_02]" in watched.stdout
    assert f'answered "bench_02" by {TEST_USER} via script' in watched.stdout
    # who and via are the token's, whatever --who and --via say
    assert [(r.value, r.who, r.via) for r in resolutions(server, run_id)] == [
        (True, "ada", Via.SCRIPT), ("bench_02", TEST_USER, Via.SCRIPT), ("0", TEST_USER, Via.SCRIPT)
    ]  # fmt: skip
    nowhere = litmus("answer", "no-such-run", "x", "1", "--server", server.http)
    assert nowhere.returncode == 4 and "run_not_found" in nowhere.stderr


RULES = """
rules:
  - name: insert_uut
    answer: true
  - name: pick_bench
    answer: {bench}
  - message: "Chamber temperature"
    answer: -5
"""


def test_respond_answers_every_live_run_unattended(server: Server, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.format(bench="bench_01"))
    bot = litmus_bg("respond", "--rules", str(rules), "--server", server.http, "--token", server.grant("responder"))
    runs = [server.launch("test_prompts.py::test_setup", serial=f"SN-{n}") for n in range(2)]
    for run_id in runs:
        watched = litmus("watch", run_id, "--server", server.http)
        assert watched.returncode == 0, watched.stdout
        assert "answers: bench=bench_01 temp=-5" in watched.stdout
        answered = resolutions(server, run_id)
        assert [r.value for r in answered] == [True, "bench_01", "-5"]
        assert {(r.who.split("@")[0], r.via) for r in answered} == {("responder", Via.SCRIPT)}
    bot.send_signal(signal.SIGINT)
    out, err = bot.communicate(timeout=20)
    assert bot.returncode == 0, err
    for run_id in runs:
        assert f"answered insert_uut on run {run_id}: true (rule 1)" in out
        assert f'answered chamber_temp on run {run_id}: "-5" (rule 3)' in out


def test_respond_reports_an_invalid_rule_once_and_leaves_the_prompt_to_people(server: Server, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.format(bench="bench_09"))
    run_id = server.launch("test_prompts.py::test_setup")
    bot = litmus_bg("respond", "--rules", str(rules), "--run", run_id, "--server", server.http,
                    "--token", server.grant("ci-bot"))  # fmt: skip
    assert bot.stdout is not None
    log = []
    for line in bot.stdout:
        log.append(line)
        if "gives an invalid answer" in line:
            break
    person = litmus("answer", run_id, "pick_bench", "bench_02", "--server", server.http, "--token", server.grant("ada"))
    assert person.returncode == 0, person.stderr
    rest, err = bot.communicate(timeout=60)
    assert bot.returncode == 0, err
    out = "".join(log) + rest
    assert out.count("rule 2 gives an invalid answer to pick_bench") == 1
    assert "not one of the choices" in out
    assert [(r.value, r.who) for r in resolutions(server, run_id)] == [
        (True, "ci-bot"), ("bench_02", "ada"), ("-5", "ci-bot")
    ]  # fmt: skip


def test_respond_refuses_a_rules_file_it_cannot_follow(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - answer: true\n")
    refused = litmus("respond", "--rules", str(rules), "--server", "http://127.0.0.1:9")
    assert refused.returncode == 2 and "rule 1 matches every prompt" in refused.stderr
    rules.write_text("rules:\n  - name: x\n    anser: true\n")
    refused = litmus("respond", "--rules", str(rules))
    assert refused.returncode == 2 and "anser" in refused.stderr


def test_watch_reconnects_across_a_graceful_restart_and_resumes_from_its_seq(server: Server) -> None:
    run_id = server.launch("test_slow.py")
    watcher = litmus_bg("watch", run_id, "--server", server.http, "--show-seq")
    lines, reader = printed_lines(watcher)  # every line, read by a thread: none is left in a read-ahead buffer
    deadline = time.monotonic() + 60
    while not any("tick 1" in line for line in lines):
        assert time.monotonic() < deadline, lines
        time.sleep(0.05)
    server.stop()  # graceful: every connection is closed with 1001, "reconnect and resume"
    server.start()
    watcher.wait(timeout=120)
    reader.join(timeout=30)
    assert watcher.stdout is not None and watcher.stderr is not None
    errors = watcher.stderr.read()
    watcher.stdout.close(), watcher.stderr.close()
    status = server.get(f"/api/runs/{run_id}")["status"]
    assert watcher.returncode == cli.EXIT_CODES[Status(status)], errors
    printed = seqs_printed(list(lines))
    assert printed == list(range(1, printed[-1] + 1)) and printed[-1] == server.get(f"/api/runs/{run_id}")["last_seq"]


def test_serve_stopped_with_ctrl_c_exits_130_without_a_traceback(server: Server) -> None:
    server.launch("test_pass.py")
    server.stop()  # SIGINT, as Ctrl-C sends
    assert server.process is not None and server.process.returncode == 130
    log = server.log.read_text()
    assert "Finished server process" in log and "Traceback" not in log, log[-2000:]


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("LITMUS_MAX_CONNECTIONS", "lots", "expected `integer`"),
        ("LITMUS_COMMIT_WINDOW", "-1", "expected `number` >= 0.0"),
        ("LITMUS_COMMIT_WINDOW", "5ms", "expected `number`"),
    ],
)
def test_serve_with_a_setting_it_cannot_use_names_it_and_exits_2(variable: str, value: str, expected: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "litmus_live.cli", "serve", "--port", "8"], capture_output=True, text=True,
        timeout=120, check=False, env={**os.environ, variable: value},
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr == f'error: invalid setting {variable} = "{value}": {expected}\n'
