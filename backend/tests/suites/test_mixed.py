import pytest


def test_ok():
    pass


def test_broken():
    assert 2 + 2 == 5, "arithmetic is broken"


@pytest.mark.skip(reason="no fixture on this bench")
def test_skipped():
    pass


@pytest.fixture
def bad_fixture():
    raise RuntimeError("fixture exploded")


def test_setup_error(bad_fixture):
    pass
