import math
import os
import time

import pytest

CHANNELS = int(os.environ.get("LITMUS_CHANNELS", "3"))
RATE = int(os.environ.get("LITMUS_RATE", "1000"))
SECONDS = float(os.environ.get("LITMUS_SECONDS", "1"))


def test_stream(channels):
    """CHANNELS channels at RATE readings/s each for SECONDS, paced like an instrument."""
    start = time.perf_counter()
    n = int(RATE * SECONDS)
    for i in range(n):
        for c in range(CHANNELS):
            channels.record(f"ch{c}", math.sin(i / 50 + c), unit="V")
        due = start + (i + 1) / RATE
        if (late := due - time.perf_counter()) > 0:
            time.sleep(late)
    print(f"recorded {n * CHANNELS} readings in {time.perf_counter() - start:.2f} s")


def test_burst_and_states(channels):
    channels.record_many("scope.ch1", [0.0, 1.0, -1.0, 0.5] * 250, unit="V", interval=1e-4)
    channels.record("relay.k1", True)
    channels.record("dut.state", "BOOTING")
    channels.record("dut.state", "READY")


def test_rejects_non_numeric(channels):
    channels.record("psu.voltage", {"volts": 5})


def test_measurements(verify):
    verify("output_voltage", 5.01, low=4.9, high=5.1, unit="V")
    verify("leakage_current", 0.2e-6, high=1e-6, unit="A")
    verify("efficiency", 0.91, low=0.85)


def test_out_of_limits(verify):
    verify("ripple", 0.12, high=0.05, unit="V")


def test_verify_refuses_text(verify):
    verify("temperature", "hot", low=0, high=50)


@pytest.mark.parametrize("value", [float("nan")])
def test_verify_refuses_nan(verify, value):
    verify("gain", value, low=1)


@pytest.mark.litmus_limits(**{"psu.rail": {"low": 4.9, "high": 5.1, "unit": "V"}})
def test_channel_limits(channels):
    channels.record("dut.temp", 41.0, unit="C", high=70)  # given with the reading
    channels.record("dut.temp", 42.0, unit="C")  # a reading without limits keeps the channel's
    channels.record("psu.rail", 5.01, unit="V")  # from the litmus_limits marker of the same name
    channels.record_many("scope.ch2", [0.1, -0.2], unit="V", interval=1e-3, low=-1, high=1)


def test_channel_limits_refused(channels):
    channels.record("dut.temp", 1.0, low=5, high=1)
