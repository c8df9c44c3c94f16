"""Operator prompts end to end: real server, real pytest subprocess, real WebSocket viewers."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest
from conftest import SUITES, TOKEN, Server
from viewer import Viewer, kind


@pytest.fixture
async def viewer_of(server: Server):
    """Opens viewers on the test's server and closes them all at the end."""
    opened: list[Viewer] = []

    async def open_viewer(run_id: str | None = None, token: str = TOKEN) -> Viewer:
        viewer = await Viewer.open(server, run_id, token)
        opened.append(viewer)
        return viewer

    yield open_viewer
    for viewer in opened:
        await viewer.ws.close()


async def test_first_answer_wins_and_every_viewer_sees_who_answered(server: Server, viewer_of) -> None:
    run_id = server.launch("test_prompts.py::test_setup")
    alice, bob = await viewer_of(run_id, server.grant("alice")), await viewer_of(run_id, server.grant("bob"))
    for_alice, for_bob = await alice.prompt("insert_uut"), await bob.prompt("insert_uut")
    assert for_alice == for_bob
    assert for_alice["prompt_type"] == "confirm" and for_alice["step"] == "test_prompts.py::test_setup"
    assert for_alice["deadline"] is None
    assert (await alice.answer(for_alice, True, "a1", who="ada (shift supervisor)"))["type"] == "prompt_accepted"
    refused = await bob.answer(for_bob, True, "b1", who="bob")
    assert refused["code"] == "prompt_already_answered"
    assert "by alice via script" in refused["message"]
    retried = await alice.answer(for_alice, True, "a1", who="ada (shift supervisor)")
    assert retried == {"type": "prompt_accepted", "id": "a1", "run_id": run_id, "prompt_id": for_alice["prompt_id"]}
    seen_by_bob = await bob.resolution(for_bob["prompt_id"])
    assert seen_by_bob["resolution"] == "answered" and seen_by_bob["value"] is True
    assert (seen_by_bob["who"], seen_by_bob["via"]) == ("alice", "script")  # the token's, not what was sent
    assert seen_by_bob["waited"] >= 0

    bench = await bob.prompt("pick_bench")
    assert bench["choices"] == ["bench_01", "bench_02"]
    invalid = await bob.answer(bench, "bench_99", "b2")
    assert invalid["code"] == "invalid_answer" and "not one of the choices" in invalid["message"]
    assert (await bob.answer(bench, "bench_02", "b3"))["type"] == "prompt_accepted"

    temp = await alice.prompt("chamber_temp")
    for value, why in [("warm", "not in the form"), ("999", "above the maximum 125"), (25, "a string")]:
        invalid = await alice.answer(temp, value, f"t-{value}")
        assert invalid["code"] == "invalid_answer" and why in invalid["message"], invalid
    assert (await alice.answer(temp, "-12", "t-ok"))["type"] == "prompt_accepted"

    complete = await alice.complete()
    assert complete["status"] == "PASSED"
    assert any("answers: bench=bench_02 temp=-12" in m["data"]["line"] for m in alice.seen if kind(m) == "output")
    await bob.complete()


async def test_a_timeout_fails_the_test_and_expires_the_prompt_everywhere(server: Server, viewer_of) -> None:
    run_id = server.launch("test_prompts.py::test_times_out")
    alice, bob = await viewer_of(run_id), await viewer_of(run_id)
    prompt = await alice.prompt("quick")
    assert prompt["timeout_seconds"] == 1 and prompt["deadline"] is not None
    for viewer in (alice, bob):
        resolution = await viewer.resolution(prompt["prompt_id"])
        assert (resolution["resolution"], resolution["reason"]) == ("expired", "no answer within 1 s")
    late = await alice.answer(prompt, True, "late")
    assert late["code"] == "prompt_already_answered" and "expired" in late["message"]
    step = await alice.until(lambda m: kind(m) == "step_finished")
    assert step["data"]["outcome"] == "failed"
    assert "PromptUnavailableError" in step["data"]["reason"] and "expired" in step["data"]["reason"]
    assert (await alice.complete())["status"] == "FAILED"


async def test_a_viewer_who_attaches_mid_prompt_sees_it_pending(server: Server, viewer_of) -> None:
    run_id = server.launch("test_prompts.py::test_setup")
    first = await viewer_of(run_id)
    prompt = await first.prompt("insert_uut")
    late = await viewer_of(run_id)
    seen_late = await late.prompt("insert_uut")
    assert seen_late == prompt
    await late.until(lambda m: "seq" in m and m["seq"] >= prompt["seq"])
    assert not any(kind(m) == "prompt_resolved" for m in late.seen)
    server.request("POST", f"/api/runs/{run_id}/abort")
    await late.complete()


async def test_abort_while_a_prompt_waits_withdraws_it_and_ends_the_process(server: Server, viewer_of) -> None:
    run_id = server.launch("test_prompts.py::test_setup")
    viewer = await viewer_of(run_id)
    prompt = await viewer.prompt("insert_uut")
    server.request("POST", f"/api/runs/{run_id}/abort")
    resolution = await viewer.resolution(prompt["prompt_id"])
    assert (resolution["resolution"], resolution["reason"]) == ("withdrawn", "the run was aborted")
    complete = await viewer.complete()
    assert complete["status"] == "ABORTED"
    refused = await viewer.answer(prompt, True, "too-late")
    assert refused["code"] == "prompt_already_answered" and "withdrawn" in refused["message"]


async def test_two_prompts_can_wait_at_once_each_with_its_own_id(server: Server, viewer_of) -> None:
    run_id = server.launch("test_prompts.py::test_two_at_once")
    viewer = await viewer_of(run_id)
    left, right = await viewer.prompt("left"), await viewer.prompt("right")
    assert left["prompt_id"] != right["prompt_id"]
    assert (await viewer.answer(right, True, "r"))["type"] == "prompt_accepted"
    assert (await viewer.answer(left, True, "l"))["type"] == "prompt_accepted"
    assert (await viewer.complete())["status"] == "PASSED"


async def test_the_active_runs_feed_counts_waiting_prompts(server: Server, viewer_of) -> None:
    feed = await viewer_of()
    await feed.send({"type": "subscribe_active"})
    assert (await feed.until(lambda m: m["type"] == "active_runs"))["runs"] == []
    run_id = server.launch("test_prompts.py::test_two_at_once", serial="SN-77")

    def waiting(n: int):
        return lambda m: m["type"] == "active_runs" and [r["prompts_waiting"] for r in m["runs"]] == [n]

    snapshot = await feed.until(waiting(2))
    assert snapshot["runs"][0]["uut_serial"] == "SN-77" and snapshot["runs"][0]["run_id"] == run_id
    viewer = await viewer_of(run_id)
    left, right = await viewer.prompt("left"), await viewer.prompt("right")
    await viewer.answer(left, True, "l")
    await feed.until(waiting(1))
    await viewer.answer(right, True, "r")
    await feed.until(waiting(0))
    await feed.until(lambda m: m["type"] == "active_runs" and m["runs"] == [])


async def test_unknown_prompts_and_runs_are_in_band_errors(server: Server, viewer_of) -> None:
    viewer = await viewer_of()
    await viewer.send({"type": "prompt_response", "id": "x", "run_id": "nope", "prompt_id": "p", "value": True})
    error = await viewer.reply_to("x")
    assert error["code"] == "run_not_found" and "no run nope" in error["message"]
    run_id = server.launch("test_pass.py")
    await viewer.send({"type": "prompt_response", "id": "z", "run_id": run_id, "prompt_id": "p", "value": True})
    error = await viewer.reply_to("z")
    assert error["code"] == "prompt_not_found" and f"run {run_id} has no prompt p" in error["message"]
    await viewer.send({"type": "subscribe", "run_id": "still-open", "id": "y"})
    assert (await viewer.until(lambda m: m.get("id") == "y"))["code"] == "run_not_found"


async def test_prompts_pending_when_the_server_dies_are_withdrawn_on_restart(server: Server, viewer_of) -> None:
    run_id = server.launch("test_prompts.py::test_setup")
    viewer = await viewer_of(run_id)
    prompt = await viewer.prompt("insert_uut")
    server.kill()
    server.start()
    again = await viewer_of(run_id)
    resolution = await again.resolution(prompt["prompt_id"])
    assert (resolution["resolution"], resolution["reason"]) == ("withdrawn", "server stopped during the run")
    assert (await again.complete())["status"] == "ERROR"
    summary = server.get(f"/api/runs/{run_id}")
    assert summary["open_prompts"] == []


async def test_an_invalid_definition_fails_only_its_test_at_setup(server: Server, viewer_of) -> None:
    run_id = server.launch("test_prompt_bad_definition.py")
    viewer = await viewer_of(run_id)
    complete = await viewer.complete()
    assert (complete["status"], complete["passed"], complete["errors"]) == ("FAILED", 1, 2)
    steps = {m["data"]["nodeid"].split("::")[1]: m["data"] for m in viewer.seen if kind(m) == "step_finished"}
    assert steps["test_unrelated_still_runs"]["outcome"] == "passed"
    choice, unknown = steps["test_choice_without_choices"], steps["test_unknown_type"]
    assert (choice["outcome"], unknown["outcome"]) == ("error", "error")
    assert choice["reason"].startswith("setup: ")
    assert 'prompt_type "choice" needs a non-empty "choices" array' in choice["reason"]
    assert '"prompt_type" is one of confirm, choice, input; got "essay"' in unknown["reason"]


def run_pytest(*args: str, env: dict[str, str] | None = None, **kwargs: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "litmus_live.plugin", "-p", "no:cacheprovider", "-q", *args],
        cwd=SUITES, env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=60, check=False,
        **kwargs,
    )  # fmt: skip


def test_auto_confirm_answers_at_once() -> None:
    done = run_pytest("-s", "test_prompts.py::test_setup", "test_prompts.py::TestScopes::test_specific_scope_wins",
                      env={"LITMUS_AUTO_CONFIRM": "1"}, stdin=subprocess.DEVNULL)  # fmt: skip
    assert done.returncode == 0, done.stdout
    assert "serial: SN-DEFAULT" in done.stdout


@pytest.mark.parametrize("value", ["true", "yes", "0"])
def test_any_non_empty_auto_confirm_is_on_as_litmus_reads_it(value: str) -> None:
    done = run_pytest("test_prompts.py::test_setup", env={"LITMUS_AUTO_CONFIRM": value}, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout


def test_without_a_route_prompt_raises_prompt_unavailable() -> None:
    done = run_pytest("test_prompts.py::test_setup", env={"LITMUS_AUTO_CONFIRM": ""}, stdin=subprocess.DEVNULL)
    assert done.returncode == 1
    assert 'PromptUnavailableError: cannot ask for prompt "insert_uut"' in done.stdout


def test_an_undeclared_prompt_lists_the_declared_names() -> None:
    done = run_pytest("test_prompts.py::TestScopes::test_undeclared_name", stdin=subprocess.DEVNULL)
    assert 'no prompt "nonexistent" is declared' in done.stdout
    assert "declared in @litmus_prompts: insert_uut, pick_bench" in done.stdout


@pytest.mark.parametrize(("answers", "expected"), [(b"\n2\n300\n21\n", "bench=bench_02 temp=21")])
def test_a_terminal_operator_is_asked_and_invalid_answers_are_asked_again(answers: bytes, expected: str) -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child: pytest with the pty as its terminal
        os.chdir(SUITES)
        env = {k: v for k, v in os.environ.items() if k != "LITMUS_AUTO_CONFIRM"}
        os.execve(sys.executable, [sys.executable, "-m", "pytest", "-p", "litmus_live.plugin", "-p", "no:cacheprovider",
                                   "-q", "-s", "test_prompts.py::test_setup"], env)  # fmt: skip
    output = b""
    for chunk in answers.split(b"\n")[:-1]:
        while b"> (" not in output.rsplit(b"\n", 1)[-1]:
            output += os.read(fd, 4096)
        os.write(fd, chunk + b"\n")
        output += os.read(fd, 4096)
    try:
        while data := os.read(fd, 4096):
            output += data
    except OSError:
        pass
    _, status = os.waitpid(pid, 0)
    text = output.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert "not accepted: 300 is above the maximum 125" in text
    assert expected in text


async def test_terminal_prompts_honour_the_timeout() -> None:
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(SUITES)
        os.execv(sys.executable, [sys.executable, "-m", "pytest", "-p", "litmus_live.plugin", "-p", "no:cacheprovider",
                                  "-q", "test_prompts.py::test_times_out"])  # fmt: skip
    output = b""
    try:
        while data := os.read(fd, 4096):
            output += data
    except OSError:
        pass
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 1
    assert b'PromptUnavailableError: prompt "quick" expired: no answer within 1 s' in output
