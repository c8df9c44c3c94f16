"""A station's own package: the tests must import this copy, installed in the station's venv."""

ORIGIN = "station venv"


def double(x):
    return 2 * x
