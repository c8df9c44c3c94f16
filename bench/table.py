"""Rows of the results table: a figure's repeats, its target, and the verdict, as markdown;
and the code each workload measured (Source: the commit and whether the tree was clean).

A workload returns Rows; run.py renders them. The median is the figure; the spread is the
min-max of the repeats. A missed target reads MISSED, whatever the margin.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

COLUMNS = ("workload", "figure", "median", "spread (min-max)", "target", "ratio / verdict")


@dataclass(frozen=True)
class Target:
    """`value` in the row's unit; `is_floor` means at least, otherwise below."""

    value: float
    is_floor: bool

    def text(self, unit: str) -> str:
        return f"{'≥' if self.is_floor else '<'} {_number(self.value, unit)}"

    def verdict(self, median: float) -> str:
        ratio = median / self.value
        met = median >= self.value if self.is_floor else median < self.value
        return f"{ratio:.2f}x {'ok' if met else 'MISSED'}"


def at_least(value: float) -> Target:
    return Target(value, is_floor=True)


def below(value: float) -> Target:
    return Target(value, is_floor=False)


@dataclass(frozen=True)
class Row:
    workload: str
    figure: str
    unit: str
    samples: list[float] = field(default_factory=list)
    target: Target | None = None
    # Instead of a target: what to compare with (the ceiling) and the ratio to show.
    against: str = ""
    ratio: str = ""
    error: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    def cells(self) -> tuple[str, ...]:
        if self.error or not self.samples:
            return (self.workload, self.figure, "—", "—", self._target_text(), f"FAILED: {self.error or 'no samples'}")
        spread = f"{_number(min(self.samples), self.unit)}-{_number(max(self.samples), self.unit)}"
        verdict = self.target.verdict(self.median) if self.target else self.ratio or "—"
        return (self.workload, self.figure, _number(self.median, self.unit), spread, self._target_text(), verdict)

    def _target_text(self) -> str:
        if self.target is not None:
            return self.target.text(self.unit)
        return self.against or "—"


def _number(value: float, unit: str) -> str:
    if math.isinf(value):
        return "not received"
    if unit == "ms":
        return f"{value:.2f} ms" if value < 100 else f"{value:,.0f} ms"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "%":
        return f"{value:.1f}%" if abs(value) < 10 else f"{value:.0f}%"
    if unit in ("MB", "KB"):
        return f"{value:,.1f} {unit}"
    if abs(value) < 10 and value != int(value):
        return f"{value:.2f} {unit}".rstrip()
    return f"{value:,.0f} {unit}".rstrip()


def markdown(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


@dataclass(frozen=True)
class Source:
    """What a workload measured: `git describe` of the checkout and whether its tree was clean
    (nothing modified, nothing untracked outside bench/results/), at its start and its end."""

    workload: str
    at_start: tuple[str, bool]
    at_end: tuple[str, bool]
    seconds: float

    def cells(self) -> tuple[str, ...]:
        start, end = (f"{commit} ({'clean' if clean else 'DIRTY'})" for commit, clean in (self.at_start, self.at_end))
        code = start if start == end else f"{start}, then {end}: changed during the workload"
        return (self.workload, code, f"{self.seconds:.0f} s")


def sources_markdown(sources: list[Source]) -> str:
    lines = ["| workload | commit (tree) | wall time |", "|---|---|---|"]
    lines += ["| " + " | ".join(source.cells()) + " |" for source in sources]
    return "\n".join(lines)
