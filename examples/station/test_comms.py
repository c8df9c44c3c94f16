"""Communication links: UART loopback passes; the CAN bus check fails on purpose."""

import sys
import time


def test_uart_loopback():
    time.sleep(0.3)
    sent = b"LITMUS-PING"
    received = bytes(sent)
    print(f"uart: sent {sent!r}, received {received!r}")
    assert received == sent


def test_can_bus_ack():
    time.sleep(0.3)
    acked_frames = 7
    print("can: sent 8 frames", flush=True)
    print("can: frame 0x1A3 not acknowledged", file=sys.stderr)
    assert acked_frames == 8, "CAN frame 0x1A3 was not acknowledged"
