"""Litmus Live: the live test monitor for pytest-based hardware test stations."""

__version__ = "0.1.0"
