import pytest


def test_passes():
    pass


def test_fails():
    assert 1 == 2, "one is not two"


@pytest.mark.xfail(reason="known defect")
def test_xfails():
    assert False


@pytest.mark.xfail(reason="fixed meanwhile")
def test_xpasses():
    pass


@pytest.mark.xfail(reason="must fail", strict=True)
def test_xpass_strict_fails():
    pass


@pytest.mark.xfail(run=False, reason="not run")
def test_xfail_not_run():
    pass


@pytest.mark.skip(reason="no bench")
def test_skipped():
    pass


@pytest.mark.skipif(True, reason="condition")
def test_skipped_if():
    pass


def test_skips_inside():
    pytest.skip("decided at run time")


@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown exploded")


def test_fails_then_teardown_errors(broken_teardown):
    assert False, "call failed"


def test_passes_then_teardown_errors(broken_teardown):
    pass


def test_missing_fixture(vin):
    pass


@pytest.fixture
def broken_setup():
    raise ValueError("setup exploded")


def test_setup_errors(broken_setup):
    pass


class TestGrouped:
    def test_one(self):
        pass

    @pytest.mark.parametrize("x", [1, 2, 3])
    def test_param(self, x):
        assert x != 2
