import pytest


def test_interrupt():
    raise KeyboardInterrupt
