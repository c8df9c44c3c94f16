import warnings

import pytest


@pytest.mark.parametrize("n", range(20))
def test_plain(n):
    assert n * 2 == n + n


def test_expected_warning_is_caught():
    with pytest.warns(DeprecationWarning, match="old"):
        warnings.warn("old api", DeprecationWarning)


def test_stray_warning_is_an_error():
    warnings.warn("stray", UserWarning)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_ignored_by_marker():
    warnings.warn("ignored", UserWarning)
