"""Burn-in: load the DUT in steps and watch it settle (slow on purpose, ~15 s)."""

import sys
import time

import pytest


@pytest.mark.parametrize("load_pct", [25, 50, 75, 100])
def test_burn_in_step(bench, channels, verify, load_pct):
    for second in range(4):
        temp = bench.measure(35 + load_pct * 0.3, 0.5)
        channels.record("dut.temperature", temp, unit="C")
        channels.record("dut.load", load_pct, unit="%")
        print(f"load {load_pct}% t+{second}s: {temp:.1f} C", flush=True)
        if temp > 64:
            print(f"warning: {temp:.1f} C is near the limit", file=sys.stderr, flush=True)
        for _ in range(9):
            channels.record("dut.fan_rpm", bench.measure(1200 + load_pct * 20, 40), unit="rpm")
            time.sleep(0.1)
    verify(f"settled_temperature_{load_pct}pct", temp, high=70, unit="C")
