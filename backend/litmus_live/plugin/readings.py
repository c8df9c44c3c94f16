"""The `channels` and `verify` fixtures: instrument readings and measurements against limits.

Readings go to the channel's buffer (one append under a lock, never the network or the
disk); a measurement is reported at once and fails the test when it is out of limits.
"""

from __future__ import annotations

import math
import numbers
import time
from collections.abc import Sequence

from litmus_live.plugin.channel import Channel, Value
from litmus_live.plugin.report import Measurement

MAX_NAME = 100


class OutOfLimits(AssertionError):
    pass


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME:
        raise ValueError(f"a channel or measurement name is a string of 1 to {MAX_NAME} characters, got {name!r}")
    return name


def _check_value(name: str, value: object) -> Value:
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(f"channel {name!r}: a reading is a number, a bool or a string, got {type(value).__name__}")


class Channels:
    """channels.record("psu.voltage", 5.02, unit="V"); channels.record_many("scope.ch1", values, ...)."""

    def __init__(self, channel: Channel | None) -> None:
        self._channel = channel

    def record(self, name: str, value: Value, *, unit: str = "") -> None:
        value = _check_value(_check_name(name), value)
        if self._channel is not None:
            self._channel.sample(name, unit, [time.time()], [value])

    def record_many(
        self, name: str, values: Sequence[Value], *, unit: str = "", interval: float, t0: float | None = None
    ) -> None:
        """A burst or a waveform: `values` taken every `interval` seconds from `t0` (default: now)."""
        _check_name(name)
        if not (isinstance(interval, numbers.Real) and interval > 0):
            raise ValueError(f"channel {name!r}: interval must be a positive number of seconds, got {interval!r}")
        checked = [_check_value(name, v) for v in values]
        start = time.time() if t0 is None else float(t0)
        if self._channel is not None and checked:
            self._channel.sample(name, unit, [start + i * interval for i in range(len(checked))], checked)


class Verify:
    """verify("output_voltage", 5.01, low=4.9, high=5.1, unit="V"): record it; fail when out of limits."""

    def __init__(self, channel: Channel | None, nodeid: str) -> None:
        self._channel = channel
        self._nodeid = nodeid

    def __call__(
        self, name: str, value: float, *, low: float | None = None, high: float | None = None, unit: str = ""
    ) -> float:
        _check_name(name)
        number = _number(name, "value", value)
        low = None if low is None else _number(name, "low", low)
        high = None if high is None else _number(name, "high", high)
        if low is not None and high is not None and low > high:
            raise ValueError(f"measurement {name!r}: low limit {low:g} is above high limit {high:g}")
        is_pass = (low is None or number >= low) and (high is None or number <= high)
        if self._channel is not None:
            self._channel.report(
                Measurement(
                    name=name, value=number, low=low, high=high, unit=unit,
                    is_pass=is_pass, nodeid=self._nodeid, ts=time.time(),
                )
            )  # fmt: skip
        if not is_pass:
            raise OutOfLimits(f"{name} = {number:g}{unit and ' ' + unit} is outside {_limits(low, high, unit)}")
        return number


def _number(name: str, what: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"measurement {name!r}: {what} must be a number, got {type(value).__name__} {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"measurement {name!r}: {what} must be finite, got {number!r}")
    return number


def _limits(low: float | None, high: float | None, unit: str) -> str:
    u = f" {unit}" if unit else ""
    if low is not None and high is not None:
        return f"[{low:g}, {high:g}]{u}"
    return f">= {low:g}{u}" if low is not None else f"<= {high:g}{u}"
