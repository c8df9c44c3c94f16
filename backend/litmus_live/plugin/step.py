"""One step (a test) as its reports come in: its outcome, reason and duration, and pytest's tallies.

Each report is sorted by pytest's own `pytest_report_teststatus` hook, the one the terminal
summary uses, so the counts are the summary's (a failed call and a teardown error are one
failed and one error; an xfail is xfailed). The reason is the exception's message.
"""

from __future__ import annotations

import pytest

from . import report as r

# the categories of pytest's summary line that a run reports, in its order
COUNTED = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
_SEVERITY = ("failed", "error", "xpassed", "xfailed", "skipped", "passed")


def category(config: pytest.Config, report: pytest.TestReport | pytest.CollectReport) -> str:
    """pytest's summary category of `report` ('' for a passed setup or teardown): where the terminal
    reporter (whose logreport runs before ours) has just filed it, else what its hook says."""
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    for key, filed in getattr(terminal, "stats", {}).items():
        if filed and filed[-1] is report:
            return str(key)
    status = config.hook.pytest_report_teststatus(report=report, config=config)
    return str(status[0]) if status else ""


def counts_from_terminal(config: pytest.Config) -> dict[str, int] | None:
    """The counts the terminal summary line shows, or None without a terminal reporter."""
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    stats = getattr(terminal, "stats", None)
    if not isinstance(stats, dict):
        return None
    return {key: sum(1 for rep in stats.get(key, ()) if getattr(rep, "count_towards_summary", True)) for key in COUNTED}


class Step:
    def __init__(self) -> None:
        self.categories: list[str] = []
        self.reason = ""
        self.duration = 0.0

    def add(self, report: pytest.TestReport, kind: str) -> None:
        self.duration += report.duration
        if kind not in COUNTED or (kind == "passed" and report.when != "call"):
            return
        if not self.reason or (kind in ("failed", "error") and not self.is_failed):
            self.reason = reason_of(report, kind)
        self.categories.append(kind)

    @property
    def is_failed(self) -> bool:
        return any(kind in ("failed", "error") for kind in self.categories)

    @property
    def outcome(self) -> str:
        return next((kind for kind in _SEVERITY if kind in self.categories), "passed")

    def tally(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for kind in self.categories:
            counts[kind] = counts.get(kind, 0) + 1
        return counts


def reason_of(report: pytest.TestReport | pytest.CollectReport, kind: str) -> str:
    """One line: the exception's message, the skip or xfail reason; setup/teardown errors say which."""
    if kind in ("xfailed", "xpassed"):
        text = f"{kind}: {getattr(report, 'wasxfail', '')}".rstrip(": ")
    elif kind == "skipped":
        text = _skip_reason(report)
    elif kind == "passed":
        text = ""
    else:
        text = error_message(report)
        when = getattr(report, "when", "call")
        text = text if when == "call" else f"{when}: {text}"
    return r.reason(text)


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return "skipped"


def error_message(report: pytest.TestReport | pytest.CollectReport) -> str:
    """The first line of what was raised: the crash message, a fixture lookup's error, or the E line."""
    longrepr = report.longrepr
    crash = getattr(longrepr, "reprcrash", None)
    text = getattr(crash, "message", None) or getattr(longrepr, "errorstring", None)
    if text:
        return _first_line(str(text))
    lines = str(longrepr).splitlines()
    marked = [line[1:].strip() for line in lines if line.startswith("E ")]
    return (marked[-1] if marked else _first_line(str(longrepr))) or "failed"


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")
