"""Power rails: each rail within 2% of nominal, current draw under the budget."""

import time

import pytest


@pytest.mark.parametrize(("rail", "nominal"), [("3V3", 3.3), ("5V0", 5.0), ("12V", 12.0)])
def test_rail_voltage(bench, rail, nominal):
    time.sleep(0.3)
    reading = bench.measure(nominal, nominal * 0.005)
    print(f"rail {rail}: {reading:.3f} V (nominal {nominal} V)")
    assert abs(reading - nominal) <= nominal * 0.02


def test_quiescent_current(bench):
    time.sleep(0.4)
    current = bench.measure(0.120, 0.01)
    print(f"quiescent current: {current * 1000:.1f} mA")
    assert current < 0.150
