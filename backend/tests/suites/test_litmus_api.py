"""Tests written for Litmus, unchanged: defaults, the one-prompt shortcut, limits, unimplemented markers."""

import pytest

pytestmark = pytest.mark.litmus_prompts(ready={"message": "Ready to start?"})  # prompt_type defaults to confirm


def test_one_prompt_in_scope_needs_no_name(prompt):
    assert prompt() is True


@pytest.mark.litmus_prompts(bench={"message": "Which bench?", "prompt_type": "choice", "choices": ["b1", "b2"]})
def test_several_in_scope_need_a_name(prompt):
    assert prompt("bench") == "b1"
    with pytest.raises(pytest.UsageError, match="exactly one prompt in scope"):
        prompt()


def test_prompt_unavailable_is_a_runtime_error():
    from litmus_live_plugin import PromptUnavailableError

    assert issubclass(PromptUnavailableError, RuntimeError)


def test_limit_dict_positional_and_keyword(verify):
    from litmus_live_plugin import Measurement

    measured = verify("vout", 5.0, {"low": 4.9, "high": 5.1, "unit": "V"})
    assert isinstance(measured, Measurement) and not isinstance(measured, float)
    assert (measured.name, measured.value, measured.low, measured.high, measured.unit) == ("vout", 5.0, 4.9, 5.1, "V")
    assert measured.verdict == "PASS" and measured.passed and float(measured) == 5.0
    verify("iout", 0.5, limit={"high": 1.0, "unit": "A"})
    verify("gain", 3.0, namespace="amp", low=1)


@pytest.mark.litmus_limits(vout={"low": 4.9, "high": 5.1, "unit": "V"})
def test_limits_marker_fails_out_of_limits(verify):
    verify("vout", 6.0)


@pytest.mark.litmus_limits(vout={"low": 4.9, "high": 5.1, "unit": "V"})
def test_limits_marker_passes_in_limits(verify):
    verify("vout", 5.0)


def test_no_limit_anywhere_is_an_error(verify):
    verify("unlimited", 1.0)


@pytest.mark.litmus_retry(count=3)
def test_unimplemented_marker_never_passes_silently():
    pass


@pytest.mark.litmus_prompts(long={"message": "m"})
def test_a_message_over_the_limit_fails_this_test_only(prompt):
    prompt("long", message="x" * 3000)


def test_runs_after_the_bad_message():
    pass


@pytest.mark.litmus_unheard_of
def test_an_unknown_litmus_marker_never_passes_silently():
    pass


@pytest.fixture
def swept(request):
    request.applymarker(pytest.mark.litmus_sweeps(vin=[3.3, 5.0]))  # added at setup, after the markers were read


def test_a_marker_a_fixture_adds_never_passes_silently(swept):
    pass


def test_a_marker_the_test_adds_never_passes_silently(request):
    request.applymarker(pytest.mark.litmus_characteristics(gain=1))


@pytest.mark.xfail(reason="an xfail test is no way around it")
def test_a_marker_an_xfail_test_adds_is_not_an_xpass(request):
    request.applymarker(pytest.mark.litmus_unheard_of_either)
