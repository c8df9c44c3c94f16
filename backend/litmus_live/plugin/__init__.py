"""The pytest plugin: loaded into the test process, it reports steps to the runner.

It reports facts as pytest knows them (never by parsing output): what was collected,
each step starting and finishing with its outcome, and the session's end. It also provides
the `litmus_prompts` marker and the `prompt` fixture (prompting.py), and the `channels` and
`verify` fixtures (readings.py).
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Iterator

import pytest

from litmus_live.plugin import report as r
from litmus_live.plugin.channel import Channel
from litmus_live.plugin.definitions import DefinitionError, PromptDefinition
from litmus_live.plugin.prompting import MARKER, Asker, PromptUnavailableError, UndeclaredPromptError, definitions_for
from litmus_live.plugin.readings import Channels, OutOfLimits, Verify

__all__ = ["OutOfLimits", "PromptUnavailableError", "UndeclaredPromptError"]
_definitions_key = pytest.StashKey[dict[str, PromptDefinition]]()


class _Step:
    def __init__(self) -> None:
        self.outcome = "passed"
        self.reason = ""
        self.duration = 0.0

    def add(self, report: pytest.TestReport) -> None:
        self.duration += report.duration
        if report.passed or self.outcome in ("failed", "error"):
            return
        if report.skipped:
            if self.outcome == "passed":
                self.outcome, self.reason = "skipped", _skip_reason(report)
            return
        self.outcome = "failed" if report.when == "call" else "error"
        self.reason = _failure_reason(report)


def _skip_reason(report: pytest.TestReport) -> str:
    if hasattr(report, "wasxfail"):
        return f"xfail: {report.wasxfail}".strip()
    if isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return ""


def _failure_reason(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = lines[0] if lines else "failed"
    return f"{report.when}: {first}"[:300] if report.when != "call" else first[:300]


class _Live:
    """The plugin's state in a process launched by the runner (one session per process)."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.steps: dict[str, _Step] = {}


_live: _Live | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _live
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**prompts): operator prompts this test may ask with the `prompt` fixture;"
        " each keyword names a prompt: {message, prompt_type: confirm|choice|input, choices, default,"
        " pattern, min, max, timeout_seconds}",
    )
    channel = Channel.from_env()
    if channel is not None and _live is None:
        _live = _Live(channel)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    problems = []
    for item in items:
        try:
            item.stash[_definitions_key] = definitions_for(item)
        except DefinitionError as exc:
            problems.append(f"{item.nodeid}: @{MARKER}: {exc}")
    if problems:
        raise pytest.UsageError("invalid prompt definitions:\n  " + "\n  ".join(problems))


@pytest.fixture
def prompt(request: pytest.FixtureRequest) -> Asker:
    """Ask the operator: prompt(name) returns True (confirm), the choice, or the typed text."""
    item = request.node
    definitions = item.stash.get(_definitions_key, None)
    if definitions is None:
        definitions = definitions_for(item)
    capture = request.config.pluginmanager.getplugin("capturemanager")
    terminal = functools.partial(_uncaptured, capture) if capture is not None else contextlib.nullcontext
    return Asker(definitions, item.nodeid, _live.channel if _live else None, terminal)


@pytest.fixture
def channels() -> Channels:
    """Stream instrument readings: channels.record(name, value, unit=...), record_many(...)."""
    return Channels(_live.channel if _live else None)


@pytest.fixture
def verify(request: pytest.FixtureRequest) -> Verify:
    """Record a measurement against limits; the test fails when it is out of them."""
    return Verify(_live.channel if _live else None, request.node.nodeid)


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


def pytest_collection_finish(session: pytest.Session) -> None:
    if _live is not None:
        _live.channel.report(r.Collected(nodeids=[item.nodeid for item in session.items]))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logstart(nodeid: str, location: tuple) -> None:
    if _live is not None:
        _live.steps[nodeid] = _Step()
        _live.channel.report(r.StepStarted(nodeid=nodeid, ts=time.time()))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _live is not None:
        _live.steps.setdefault(report.nodeid, _Step()).add(report)


def pytest_runtest_logfinish(nodeid: str, location: tuple) -> None:
    if _live is None:
        return
    step = _live.steps.pop(nodeid, _Step())
    _live.channel.report(
        r.StepFinished(nodeid=nodeid, outcome=step.outcome, duration=step.duration, reason=step.reason, ts=time.time())
    )


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _live is not None:
        _live.channel.report(r.SessionFinished(exitstatus=int(exitstatus)))


def pytest_unconfigure(config: pytest.Config) -> None:
    global _live
    if _live is not None:
        _live.channel.close()
        _live = None
