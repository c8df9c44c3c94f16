import sys

import stationlib


def test_the_station_copy_is_imported():
    assert stationlib.ORIGIN == "station venv"
    assert sys.prefix != sys.base_prefix  # a venv's interpreter


def test_double():
    assert stationlib.double(21) == 42


def test_no_server_package_in_sight():
    import importlib.util

    assert importlib.util.find_spec("litmus_live") is None
    assert importlib.util.find_spec("msgspec") is None
