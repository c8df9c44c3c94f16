"""Tests written for Litmus with their markers in the sidecar test_sidecar.yaml, unchanged."""


def test_file_level_limit(verify):
    verify("v_rail", 3.30)


def test_per_test_limit_tightens_the_file_level_one(verify):
    verify("v_rail", 3.50)  # the file's band (3.0-3.6) would take it; this test's (3.2-3.4) does not


def test_sidecar_prompt(prompt):
    assert prompt("setup") is True


def test_sidecar_sweep_is_not_implemented():
    pass


def test_no_value_is_recorded_error_and_the_test_goes_on(verify):
    measured = verify("v_rail", None)
    assert (measured.value, measured.verdict) == (None, "ERROR")
    verify("v_rail", 3.3)  # still runs, as in Litmus


class TestIdle:
    def test_class_limit(self, verify):
        verify("i_idle", 0.05)

    def test_method_limit_overrides_the_class(self, verify):
        verify("i_idle", 0.05)  # the class's band takes it; this method's (0.0-0.01) does not
