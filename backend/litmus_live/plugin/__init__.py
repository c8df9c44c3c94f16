"""The pytest plugin: a guest in the station's test process, it reports steps to the runner.

It imports pytest and the standard library only, registers its markers and fixtures, and
changes no option. It reports facts as pytest knows them (never by parsing output): what
was collected or failed to collect, each step starting and finishing with its outcome as
the terminal summary counts it, each phase's captured output, and the session's end. It
provides the `litmus_prompts` marker and `prompt` fixture (prompting.py), the `channels` and
`verify` fixtures and the `litmus_limits` marker (readings.py), and reads Litmus's sidecar
files (sidecar.py). A `litmus_*` marker it does not implement fails the test carrying it.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Iterable, Iterator

import pytest

from . import report as r
from . import step as s
from .capture import LiveOutput, sends_sections
from .channel import Channel
from .prompting import MARKER, Asker, PromptUnavailableError, UndeclaredPromptError, definitions_for
from .readings import (
    LIMITS_MARKER,
    Channels,
    LimitFailure,
    Measurement,
    MissingLimitError,
    OutOfLimits,
    Verify,
    limits_for,
)
from .sidecar import REFUSAL, Sidecars

__all__ = [
    "LimitFailure",
    "Measurement",
    "MissingLimitError",
    "OutOfLimits",
    "PromptUnavailableError",
    "UndeclaredPromptError",
]
# Litmus markers: any other litmus_* marker fails the test carrying it, rather than let it pass unjudged.
_IMPLEMENTED = (MARKER, LIMITS_MARKER)
# Litmus's other markers, registered so that --strict-markers lets them reach that failure
_UNIMPLEMENTED = ("litmus_sweeps", "litmus_retry", "litmus_mocks", "litmus_characteristics", "litmus_connections")
_CHECKED = pytest.StashKey[int]()  # how many own markers an item had when its setup checked them
_SECTIONS = {"stdout": "stdout", "stderr": "stderr", "log": "stderr"}


class _Live:
    """The plugin's state in a process launched by the runner (one session per process)."""

    def __init__(self, channel: Channel, config: pytest.Config) -> None:
        self.channel = channel
        self.config = config
        self.steps: dict[str, s.Step] = {}
        self.sends_sections = sends_sections(config)
        self.output = LiveOutput.start(config, TERMINAL_FDS) if self.sends_sections else None
        if self.output is not None:
            config.pluginmanager.register(_PhaseEnds(self.output), "litmus-live-phase-ends")


class _PhaseEnds:
    """Its trylast wrappers run inside pytest's capture of each phase: the rest of the phase's
    output is read just before pytest reads and empties its capture files."""

    def __init__(self, output: LiveOutput) -> None:
        self._output = output

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Iterator[None]:
        yield
        self._output.finish_phase()

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        yield
        self._output.finish_phase()

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Iterator[None]:
        yield
        self._output.finish_phase()


_live: _Live | None = None
_sidecars = Sidecars()
# The process's stdout and stderr before pytest redirected them (set by the runner's bootstrap).
TERMINAL_FDS: tuple[int, int] | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _live
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**prompts): operator prompts this test may ask with the `prompt` fixture;"
        " each keyword names a prompt: {message, prompt_type: confirm (default)|choice|input, choices, default,"
        " pattern, min, max, timeout_seconds}",
    )
    config.addinivalue_line(
        "markers", f"{LIMITS_MARKER}(**limits): limits for verify(name, value): name={{low, high, unit}}"
    )
    for name in _UNIMPLEMENTED:
        config.addinivalue_line("markers", f"{name}: a Litmus marker Litmus Live does not implement (the test fails)")
    channel = Channel.from_env() if _live is None else None
    if channel is not None:
        _live = _Live(channel, config)


def pytest_itemcollected(item: pytest.Item) -> None:
    _sidecars.apply(item)


def pytest_runtest_setup(item: pytest.Item) -> None:
    # after skip and xfail(run=False) are decided, before any fixture runs
    refusal = item.stash.get(REFUSAL, "")
    if refusal:
        pytest.fail(refusal, pytrace=False)
    _refuse_unimplemented(item.iter_markers())
    item.stash[_CHECKED] = len(item.own_markers)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    _refuse_unimplemented(item.own_markers[item.stash.get(_CHECKED, 0) :])  # ones a fixture added during setup


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> None:
    """A marker the test's own body added: its call fails as if it had raised, before any report is made
    of it (so xfail and every other plugin see a failed call, never a pass)."""
    if call.when == "call" and call.excinfo is None and len(item.own_markers) > item.stash.get(_CHECKED, 0):
        try:
            _refuse_unimplemented(item.own_markers[item.stash.get(_CHECKED, 0) :])
        except pytest.fail.Exception:
            call.excinfo = pytest.ExceptionInfo.from_current()


def _refuse_unimplemented(marks: Iterable[pytest.Mark]) -> None:
    for mark in marks:
        if mark.name.startswith("litmus_") and mark.name not in _IMPLEMENTED:
            pytest.fail(
                f"@pytest.mark.{mark.name} is not implemented by Litmus Live: this test cannot be judged without it",
                pytrace=False,
            )


@pytest.fixture
def prompt(request: pytest.FixtureRequest) -> Asker:
    """Ask the operator: prompt(name) returns True (confirm), the choice, or the typed text."""
    item = request.node
    definitions = definitions_for(item)  # a bad definition fails this test, at setup
    capture = request.config.pluginmanager.getplugin("capturemanager")
    terminal = functools.partial(_uncaptured, capture) if capture is not None else contextlib.nullcontext
    return Asker(definitions, item.nodeid, _live.channel if _live else None, terminal)


@pytest.fixture
def channels(request: pytest.FixtureRequest) -> Channels:
    """Stream instrument readings: channels.record(name, value, unit=..., low=..., high=...), record_many(...)."""
    return Channels(_live.channel if _live else None, limits_for(request.node))


@pytest.fixture
def verify(request: pytest.FixtureRequest) -> Iterator[Verify]:
    """Record a measurement against limits; the test fails when it is out of them, and errors (at its
    teardown, once the rest of it has run, as Litmus goes on) when a measurement had no value."""
    checker = Verify(_live.channel if _live else None, request.node.nodeid, limits_for(request.node))
    yield checker
    if checker.errored:
        names = ", ".join(checker.errored)
        pytest.fail(f"no value was measured for {names}: recorded ERROR, it cannot be judged", pytrace=False)


@contextlib.contextmanager
def _uncaptured(capture: pytest.CaptureManager) -> Iterator[None]:
    """The real stdin and stdout for a moment, as pdb gets them: to ask in the terminal."""
    is_global = capture.is_globally_capturing()
    capture.suspend_fixture()
    if is_global:
        capture.suspend_global_capture(in_=True)
    try:
        yield
    finally:
        if is_global:
            capture.resume_global_capture()
        capture.resume_fixture()


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if _live is not None and _live.output is not None:
        _live.output.phase_done()  # pytest emptied its capture files for this collector
    if _live is not None and report.failed:
        message = s.error_message(report)
        _live.channel.report({"report": "collect_error", "nodeid": report.nodeid, "reason": r.reason(message)})


def pytest_collection_finish(session: pytest.Session) -> None:
    if _live is not None:
        _live.channel.report(r.collected([item.nodeid for item in session.items]))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logstart(nodeid: str, location: tuple) -> None:
    if _live is not None:
        _live.steps[nodeid] = s.Step()
        _live.channel.report({"report": "step_started", "nodeid": nodeid, "ts": time.time()})


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _live is None:
        return
    step = _live.steps.setdefault(report.nodeid, s.Step())
    step.add(report, s.category(_live.config, report))
    # a phase's own report (not a subtest's, captured apart): pytest has just emptied its files
    is_phase = type(report) is pytest.TestReport
    sent = _live.output.phase_done() if is_phase and _live.output is not None else {}
    if _live.sends_sections:
        _send_sections(_live.channel, report, sent)


def _send_sections(channel: Channel, report: pytest.TestReport, sent: dict[str, int]) -> None:
    for title, content in report.sections:
        words = title.split()
        if len(words) == 3 and words[0] == "Captured" and words[2] == report.when and words[1] in _SECTIONS:
            stream = _SECTIONS[words[1]]
            rest = content[sent.get(stream, 0) :] if words[1] == stream else content
            channel.report_all(r.output(stream, report.nodeid, rest))


def pytest_runtest_logfinish(nodeid: str, location: tuple) -> None:
    if _live is None:
        return
    step = _live.steps.pop(nodeid, s.Step())
    _live.channel.report(
        {"report": "step_finished", "nodeid": nodeid, "outcome": step.outcome, "duration": step.duration,
         "reason": step.reason, "tally": step.tally(), "ts": time.time()}
    )  # fmt: skip


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _live is not None:
        if _live.output is not None:
            _live.output.stop()
        counts = s.counts_from_terminal(session.config)
        _live.channel.report({"report": "session_finished", "exitstatus": int(exitstatus), "counts": counts})


def pytest_unconfigure(config: pytest.Config) -> None:
    global _live
    if _live is not None:
        if _live.output is not None:
            _live.output.stop()
        _live.channel.close()
        _live = None
