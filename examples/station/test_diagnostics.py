"""Bus diagnostics: link and controller states stream; the CAN error rate is out of limits."""

import time


def test_link_states(channels):
    for state in ("INIT", "ACTIVE", "ACTIVE", "ERROR_WARNING", "ERROR_PASSIVE"):
        channels.record("can.state", state)
        channels.record("uart.link_up", state != "INIT")
        time.sleep(0.1)


def test_can_error_rate(channels, verify):
    errors, frames = 1, 8
    channels.record("can.tx_errors", errors)
    verify("can_error_rate", errors / frames, high=0.01)
