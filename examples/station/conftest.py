"""Station fixtures: a pretend bench with a power supply and a DUT link."""

import random

import pytest


class Bench:
    """Readings from a bench that does not exist, seeded by the UUT serial so runs repeat."""

    def __init__(self, serial: str) -> None:
        self.serial = serial
        self._rng = random.Random(serial)

    def measure(self, nominal: float, spread: float) -> float:
        return round(nominal + self._rng.uniform(-spread, spread), 4)


@pytest.fixture(scope="session")
def bench() -> Bench:
    import os

    return Bench(os.environ.get("LITMUS_UUT_SERIAL", "offline"))
