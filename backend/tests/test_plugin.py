"""The plugin: a guest in the station's Python (stdlib and pytest only, 3.9 syntax), the Litmus
test API as Litmus defined it, and a bad report that fails only what it touches."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from conftest import Server, collect_run, connect

import litmus_live.plugin

PLUGIN = Path(litmus_live.plugin.__file__).parent


@pytest.mark.parametrize("path", sorted(PLUGIN.glob("*.py")), ids=lambda p: p.name)
def test_the_plugin_imports_only_pytest_and_the_standard_library_in_python_3_9_syntax(path: Path) -> None:
    tree = ast.parse(path.read_text(), feature_version=(3, 9))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            assert top in {"pytest", "__future__"} or top in sys.stdlib_module_names, f"{path.name}: {name}"


def _steps(records: list[dict]) -> dict[str, dict]:
    return {
        m["data"]["nodeid"].split("::", 1)[-1]: m["data"]
        for m in records
        if m["type"] == "event" and m["data"]["kind"] == "step_finished"
    }


def _events(records: list[dict], kind: str) -> list[dict]:
    return [m["data"] for m in records if m["type"] == "event" and m["data"]["kind"] == kind]


async def _run(server: Server, target: str) -> list[dict]:
    run_id = server.launch(target)
    async with await connect(server.ws) as ws:
        return await collect_run(ws, run_id)


async def test_tests_written_for_litmus_run_unchanged(server_factory) -> None:
    server = server_factory(env={"LITMUS_AUTO_CONFIRM": "yes"})  # any non-empty value, as Litmus reads it
    server.start()
    records = await _run(server, "test_litmus_api.py")
    steps = _steps(records)
    assert {name: step["outcome"] for name, step in steps.items()} == {
        "test_one_prompt_in_scope_needs_no_name": "passed",
        "test_several_in_scope_need_a_name": "passed",
        "test_prompt_unavailable_is_a_runtime_error": "passed",
        "test_limit_dict_positional_and_keyword": "passed",
        "test_limits_marker_fails_out_of_limits": "failed",
        "test_limits_marker_passes_in_limits": "passed",
        "test_no_limit_anywhere_is_an_error": "failed",
        "test_unimplemented_marker_never_passes_silently": "error",
        "test_a_message_over_the_limit_fails_this_test_only": "failed",
        "test_runs_after_the_bad_message": "passed",
        "test_an_unknown_litmus_marker_never_passes_silently": "error",
        "test_a_marker_a_fixture_adds_never_passes_silently": "failed",
        "test_a_marker_the_test_adds_never_passes_silently": "failed",
        "test_a_marker_an_xfail_test_adds_is_not_an_xpass": "xfailed",
    }
    assert steps["test_limits_marker_fails_out_of_limits"]["reason"].endswith("vout = 6 V is outside [4.9, 5.1] V")
    assert (
        'MissingLimitError: measurement "unlimited" has no limit'
        in steps["test_no_limit_anywhere_is_an_error"]["reason"]
    )
    assert "litmus_retry is not implemented" in steps["test_unimplemented_marker_never_passes_silently"]["reason"]
    unknown = steps["test_an_unknown_litmus_marker_never_passes_silently"]["reason"]
    assert "litmus_unheard_of is not implemented" in unknown
    assert (
        '"message" must be 1 to 2,000 characters long, got 3,000'
        in (steps["test_a_message_over_the_limit_fails_this_test_only"]["reason"])
    )
    for name, marker in [("a_fixture_adds", "litmus_sweeps"), ("the_test_adds", "litmus_characteristics")]:
        reason = steps[f"test_a_marker_{name}_never_passes_silently"]["reason"]
        assert reason.endswith(
            f"@pytest.mark.{marker} is not implemented by Litmus Live: this test cannot be judged without it"
        )
    resolved = _events(records, "prompt_resolved")
    assert [(r["name"], r["value"], r["via"]) for r in resolved] == [("ready", True, "auto"), ("bench", "b1", "auto")]
    measured = [(m["name"], m["verdict"], m["unit"]) for m in _events(records, "measurement")]
    assert measured == [("vout", "PASS", "V"), ("iout", "PASS", "A"), ("amp.gain", "PASS", ""), ("vout", "FAIL", "V"),
                        ("vout", "PASS", "V")]  # fmt: skip
    assert records[-1]["status"] == "FAILED"


async def test_a_bad_frame_on_the_report_channel_is_an_error_event_and_the_run_goes_on(server: Server) -> None:
    records = await _run(server, "test_garbage_report.py")
    assert {step["outcome"] for step in _steps(records).values()} == {"passed"}
    assert len(_steps(records)) == 8
    errors = _events(records, "report_error")
    reasons = [e["reason"] for e in errors]
    assert len(errors) == 7, reasons
    refused = ("a report from the test process was refused: ", "a report line over", "a step_started report could")
    assert all(r.startswith(refused) for r in reasons), reasons
    assert any("length <= 2000" in r for r in reasons)
    assert any("a report line over 1048576 bytes was skipped" in r for r in reasons)
    assert any('"timeout_seconds" must be a number > 0 and at most 2,592,000' in r for r in reasons)
    assert any(
        r.startswith("a report from the test process was refused: prompt dup was asked already") for r in reasons
    )
    assert all(e["step"] and e["step"].startswith("test_garbage_report.py::") for e in errors), errors
    complete = records[-1]
    assert (complete["status"], complete["passed"]) == ("PASSED", 8)


async def test_sidecar_yaml_gives_tests_their_litmus_markers_and_a_missing_value_is_recorded_error(
    server_factory,
) -> None:
    server = server_factory(env={"LITMUS_AUTO_CONFIRM": "1"})
    server.start()
    records = await _run(server, "test_sidecar.py")
    steps = _steps(records)
    assert {name: step["outcome"] for name, step in steps.items()} == {
        "test_file_level_limit": "passed",
        "test_per_test_limit_tightens_the_file_level_one": "failed",
        "test_sidecar_prompt": "passed",
        "test_sidecar_sweep_is_not_implemented": "error",
        "test_no_value_is_recorded_error_and_the_test_goes_on": "error",  # passed, then its teardown errors
        "TestIdle::test_class_limit": "passed",
        "TestIdle::test_method_limit_overrides_the_class": "failed",
    }
    assert steps["test_per_test_limit_tightens_the_file_level_one"]["reason"].endswith("outside [3.2, 3.4] V")
    assert steps["TestIdle::test_method_limit_overrides_the_class"]["reason"].endswith("outside [0, 0.01] A")
    assert (
        '"sweeps" (litmus_sweeps), which Litmus Live does not implement'
        in (steps["test_sidecar_sweep_is_not_implemented"]["reason"])
    )
    assert (
        "no value was measured for v_rail: recorded ERROR"
        in (steps["test_no_value_is_recorded_error_and_the_test_goes_on"]["reason"])
    )
    measured = [(m["name"], m["value"], m["verdict"]) for m in _events(records, "measurement")]
    assert measured == [("v_rail", 3.3, "PASS"), ("v_rail", 3.5, "FAIL"), ("v_rail", None, "ERROR"),
                        ("v_rail", 3.3, "PASS"), ("i_idle", 0.05, "PASS"), ("i_idle", 0.05, "FAIL")]  # fmt: skip
    assert [(r["name"], r["via"]) for r in _events(records, "prompt_resolved")] == [("setup", "auto")]
    complete = records[-1]
    assert (complete["passed"], complete["failed"], complete["errors"], complete["exit_code"]) == (4, 2, 2, 1)


async def test_a_sidecar_outside_the_yaml_subset_fails_each_test_of_its_module_saying_where(server: Server) -> None:
    records = await _run(server, "test_sidecar_broken.py")
    steps = _steps(records)
    assert {name: step["outcome"] for name, step in steps.items()} == {"test_one": "error", "test_two": "error"}
    assert all(
        "sidecar test_sidecar_broken.yaml, line 2: an anchor (&) is outside the subset" in step["reason"]
        for step in steps.values()
    )
