"""Power rails: each rail within 2% of nominal, current draw under the budget."""

import time

import pytest


@pytest.mark.parametrize(("rail", "nominal"), [("3V3", 3.3), ("5V0", 5.0), ("12V", 12.0)])
def test_rail_voltage(bench, channels, verify, rail, nominal):
    for _ in range(30):  # the supply settles: stream what the meter sees
        reading = bench.measure(nominal, nominal * 0.004)
        channels.record(f"psu.{rail}", reading, unit="V", low=nominal * 0.98, high=nominal * 1.02)
        time.sleep(0.01)
    reading = bench.measure(nominal, nominal * 0.005)
    print(f"rail {rail}: {reading:.3f} V (nominal {nominal} V)")
    verify(f"rail_{rail}", reading, low=nominal * 0.98, high=nominal * 1.02, unit="V")


def test_quiescent_current(bench, channels, verify):
    samples = [bench.measure(0.120, 0.01) for _ in range(400)]
    channels.record_many("psu.current", samples, unit="A", interval=0.001, high=0.150)
    time.sleep(0.4)
    current = sum(samples) / len(samples)
    print(f"quiescent current: {current * 1000:.1f} mA")
    verify("quiescent_current", current, high=0.150, unit="A")
