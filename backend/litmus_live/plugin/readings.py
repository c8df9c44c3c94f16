"""The `channels` and `verify` fixtures: instrument readings and measurements against limits.

Readings go to the channel's buffer (one append under a lock, never the network or the
disk); a measurement is reported at once and fails the test when it is out of limits.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import time
from collections.abc import Sequence
from typing import Union

import pytest

from .channel import Channel
from .definitions import MAX_UNIT, describe, name_problem, quoted
from .sidecar import scoped

LIMITS_MARKER = "litmus_limits"
Value = Union[float, int, bool, str]


class OutOfLimits(AssertionError):
    pass


LimitFailure = OutOfLimits  # Litmus's name for it


@dataclasses.dataclass(frozen=True)
class Measurement:
    """What verify() returns, as Litmus's does: the value as recorded, its limits and its verdict.
    `float(m)` is the value (an out-of-limits value raises LimitFailure instead of returning)."""

    name: str
    value: float | None  # None: nothing could be measured (verdict ERROR)
    low: float | None
    high: float | None
    unit: str
    verdict: str  # "PASS", or "ERROR" for a value of None ("FAIL" raises LimitFailure)

    @property
    def passed(self) -> bool:
        return self.verdict == "PASS"

    def __float__(self) -> float:
        if self.value is None:
            raise TypeError(f"measurement {quoted(self.name)} has no value: nothing was measured")
        return self.value


class MissingLimitError(LookupError):
    """verify(name, value) with no limit given and none in a litmus_limits marker."""


def _check_name(what: str, name: object) -> str:
    problem = name_problem(what, name)
    if problem:
        raise ValueError(problem)
    return name  # type: ignore[return-value]


def _check_unit(name: str, unit: object) -> str:
    if not isinstance(unit, str) or len(unit) > MAX_UNIT:
        raise ValueError(f"{quoted(name)}: a unit is a string of at most {MAX_UNIT} characters, got {describe(unit)}")
    return unit


def _check_value(name: str, value: object) -> Value:
    if isinstance(value, (bool, str)):
        if isinstance(value, str) and len(value) > 1000:
            raise ValueError(
                f"channel {quoted(name)}: a string reading is at most 1,000 characters, got {len(value):,}"
            )
        return value
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"channel {quoted(name)}: a reading must be finite, got {number:g}")
        return number
    raise TypeError(f"channel {quoted(name)}: a reading is a number, a boolean or a string, got {describe(value)}")


class Channels:
    """channels.record("psu.rail", 5.02, unit="V", low=4.9, high=5.1); channels.record_many("scope.ch1", values, ...).

    `low`/`high` are the channel's limits, drawn on its sparkline; without them, the limits a
    litmus_limits marker gives the same name, if any. Readings are never failed against them."""

    def __init__(self, channel: Channel | None, marked: dict[str, object] | None = None) -> None:
        self._channel = channel
        self._marked = marked or {}

    def record(
        self, name: str, value: Value, *, unit: str = "", low: float | None = None, high: float | None = None
    ) -> None:
        value = _check_value(_check_name("channel", name), value)
        _check_unit(name, unit)
        limits = self._limits(name, low, high)
        if self._channel is not None:
            self._channel.sample(name, unit, [time.time()], [value], limits)

    def record_many(
        self, name: str, values: Sequence[Value], *, unit: str = "", interval: float, t0: float | None = None,
        low: float | None = None, high: float | None = None,
    ) -> None:  # fmt: skip
        """A burst or a waveform: `values` taken every `interval` seconds from `t0` (default: now)."""
        _check_unit(_check_name("channel", name), unit)
        if not (isinstance(interval, numbers.Real) and interval > 0):
            raise ValueError(
                f"channel {quoted(name)}: interval must be a positive number of seconds, got {describe(interval)}"
            )
        checked = [_check_value(name, v) for v in values]
        limits = self._limits(name, low, high)
        start = time.time() if t0 is None else float(t0)
        if self._channel is not None and checked:
            self._channel.sample(name, unit, [start + i * interval for i in range(len(checked))], checked, limits)

    def _limits(self, name: str, low: object, high: object) -> tuple[float | None, float | None]:
        marked = self._marked.get(name)
        if low is None and high is None and isinstance(marked, dict):
            low, high = marked.get("low"), marked.get("high")
        low = None if low is None else _number(name, "low", low, "channel")
        high = None if high is None else _number(name, "high", high, "channel")
        if low is not None and high is not None and low > high:
            raise ValueError(f"channel {quoted(name)}: low limit {low:g} is above high limit {high:g}")
        return low, high


def limits_for(item: pytest.Item | None) -> dict[str, object]:
    """The limits litmus_limits markers (and the sidecar) give an item, the most specific scope winning."""
    return scoped(item, LIMITS_MARKER) if item is not None else {}


class Verify:
    """verify("vout", 5.01, low=4.9, high=5.1, unit="V") or verify("vout", 5.01, {"low": 4.9, "high": 5.1}):
    record it and return the Measurement; fail when out of limits. A value of None (nothing could be
    measured) is recorded ERROR and returned, as in Litmus; the test then errors at its teardown."""

    def __init__(self, channel: Channel | None, nodeid: str, marked: dict[str, object] | None = None) -> None:
        self._channel = channel
        self._nodeid = nodeid
        self._marked = marked or {}
        self.errored: list[str] = []  # measurements given no value: the test errors at its teardown

    def __call__(
        self, name: str, value: float | None, limit: dict | None = None, *, low: float | None = None,
        high: float | None = None, unit: str = "", namespace: str | None = None,
    ) -> Measurement:  # fmt: skip
        full = _check_name("measurement", f"{namespace}.{name}" if namespace else name)
        low, high, unit = self._limits(full, name, limit, (low, high, unit))
        number = None if value is None else _number(full, "value", value)
        is_pass = number is not None and (low is None or number >= low) and (high is None or number <= high)
        if self._channel is not None:
            self._channel.report(
                {"report": "measurement", "name": full, "value": number, "low": low, "high": high, "unit": unit,
                 "is_pass": is_pass, "nodeid": self._nodeid, "ts": time.time()}
            )  # fmt: skip
        if number is None:  # Litmus: recorded ERRORED, returned, and the test goes on
            self.errored.append(full)
            return Measurement(full, None, low, high, unit, "ERROR")
        if not is_pass:
            raise OutOfLimits(f"{full} = {number:g}{unit and ' ' + unit} is outside {_limits(low, high, unit)}")
        return Measurement(full, number, low, high, unit, "PASS")

    def _limits(self, full: str, name: str, limit: object, given: tuple) -> tuple[float | None, float | None, str]:
        low, high, unit = given
        if limit is None and low is None and high is None:
            limit = self._marked.get(full, self._marked.get(name))
            if limit is None:
                raise MissingLimitError(
                    f'measurement {quoted(full)} has no limit: pass low=/high= or limit={{"low": .., "high": ..}},'
                    f" or declare it in @pytest.mark.{LIMITS_MARKER}"
                )
        if limit is not None:
            if not isinstance(limit, dict) or set(limit) - {"low", "high", "unit"}:
                raise TypeError(
                    f"measurement {quoted(full)}: limit is an object of low, high and unit, got {describe(limit)}"
                )
            low, high, unit = limit.get("low", low), limit.get("high", high), limit.get("unit", unit) or unit
        low = None if low is None else _number(full, "low", low)
        high = None if high is None else _number(full, "high", high)
        if low is None and high is None:
            raise MissingLimitError(f"measurement {quoted(full)}: its limit sets neither low nor high")
        if low is not None and high is not None and low > high:
            raise ValueError(f"measurement {quoted(full)}: low limit {low:g} is above high limit {high:g}")
        return low, high, _check_unit(full, unit)


def _number(name: str, what: str, value: object, kind: str = "measurement") -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{kind} {quoted(name)}: {what} must be a number, got {describe(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{kind} {quoted(name)}: {what} must be finite, got {number:g}")
    return number


def _limits(low: float | None, high: float | None, unit: str) -> str:
    u = f" {unit}" if unit else ""
    if low is not None and high is not None:
        return f"[{low:g}, {high:g}]{u}"
    return f">= {low:g}{u}" if low is not None else f"<= {high:g}{u}"
