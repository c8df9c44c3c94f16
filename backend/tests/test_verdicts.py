"""A run's verdict is pytest's: real suites run by plain pytest and by Litmus Live, same interpreter.

Each suite in suites/compat/ is copied to a temp root and run twice: `python -m pytest` alone,
then launched through a real server whose station Python (LITMUS_PYTHON) is the same
interpreter. The counts of pytest's summary line and the exit code must be equal. Venvs made
here (pytest only, no package of ours) are the stations: the newest pytest, pytest 7.4, and
pytest 7.4 in the oldest Python the plugin supports (3.9, found as `oldest_python()` says).
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SUITES, Server, collect_run, connect

COMPAT = SUITES / "compat"
COUNTED = {"passed": "passed", "failed": "failed", "error": "errors", "errors": "errors", "skipped": "skipped",
           "xfailed": "xfailed", "xpassed": "xpassed"}  # fmt: skip
_SUMMARY = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)\b")
SYNTAX_ERROR = "def test_broken(:\n    pass\n"


OLDEST = "3.9"


def oldest_python() -> str:
    """A Python 3.9 interpreter: python3.9 on PATH (Debian's or a venv's), else one under pyenv's versions."""
    candidates = [shutil.which(f"python{OLDEST}") or "", *sorted(glob.glob(
        os.path.expanduser(f"~/.pyenv/versions/{OLDEST}.*/bin/python{OLDEST}")))]  # fmt: skip
    for python in filter(None, candidates):
        probe = subprocess.run([python, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True,
                               text=True, check=False)  # fmt: skip
        if probe.returncode == 0 and probe.stdout.strip() == f"({OLDEST.replace('.', ', ')})":
            return python
    raise RuntimeError(f"the verdict comparison needs a Python {OLDEST} interpreter; looked at {candidates}")


def _make_venv(where: Path, requirement: str, base: str = sys.executable) -> str:
    subprocess.run([base, "-m", "venv", "--without-pip", str(where)], check=True)
    python = str(where / "bin" / "python")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "-q", "--disable-pip-version-check", requirement],
        check=True, timeout=300,
    )  # fmt: skip
    return python


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the compat suites (so nothing is written into the repository), plus a file that does not parse."""
    copy = tmp_path_factory.mktemp("compat") / "suites"
    shutil.copytree(COMPAT, copy)
    (copy / "collection" / "test_syntax.py").write_text(SYNTAX_ERROR)
    return copy


@pytest.fixture(scope="module")
def stations(tmp_path_factory: pytest.TempPathFactory, root: Path) -> dict[str, str]:
    """Station venvs: the newest pytest 9 (with the src-layout package installed), pytest 7.4, and 7.4 on 3.9."""
    base = tmp_path_factory.mktemp("venvs")
    found = {
        "pytest9": _make_venv(base / "pytest9", "pytest>=9,<10"),
        "pytest74": _make_venv(base / "pytest74", "pytest==7.4.4"),
        "py39": _make_venv(base / "py39", "pytest==7.4.4", oldest_python()),
    }
    site = subprocess.run([found["pytest9"], "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    (Path(site) / "stationlib.pth").write_text(str(root / "srclayout" / "src") + "\n")
    found["server"] = sys.executable
    return found


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, root: Path, stations: dict[str, str]) -> Iterator[dict]:
    started: dict[str, Server] = {}
    for name, python in stations.items():
        env = {"LITMUS_PYTHON": python} if name != "server" else {}
        started[name] = Server(tmp_path_factory.mktemp(f"data-{name}"), tests=root, env=env)
        started[name].start()
    yield started
    for srv in started.values():
        srv.stop()


def plain_pytest(python: str, root: Path, target: str) -> tuple[dict[str, int], int, str]:
    """pytest's own summary counts and exit code, run as a station engineer would run it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "LITMUS_"))}
    if python == sys.executable:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # the server's venv: its plugins are not the station's
    done = subprocess.run([python, "-m", "pytest", "--color=no", target], cwd=root, env=env,
                          capture_output=True, encoding="utf-8", errors="replace", timeout=120, check=False,
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    last = lines[-1] if lines else ""
    counts = dict.fromkeys(sorted(set(COUNTED.values())), 0)
    for number, word in _SUMMARY.findall(last):
        counts[COUNTED[word]] += int(number)
    return counts, done.returncode, done.stdout


async def through_litmus(server: Server, target: str) -> tuple[dict[str, int], int, list[dict]]:
    run_id = server.launch(target)
    async with await connect(server.ws) as ws:
        records = await collect_run(ws, run_id)
    complete = records[-1]
    summary = server.get(f"/api/runs/{run_id}")
    counts = {key: complete[key] for key in sorted(set(COUNTED.values()))}
    assert counts == {key: summary[key] for key in counts}, "the run summary and the complete record disagree"
    return counts, complete["exit_code"], records


CASES = [
    ("pytest9", "warnings/"), ("pytest9", "outcomes/"), ("pytest9", "collection/"), ("pytest9", "output/"),
    ("pytest9", "subtests/"), ("pytest9", "srclayout/"), ("pytest9", "capsys/"), ("py39", "capsys/"),
    ("pytest74", "warnings/"), ("pytest74", "outcomes/"), ("pytest74", "collection/"), ("pytest74", "output/"),
    ("py39", "warnings/"), ("py39", "outcomes/"), ("py39", "collection/"), ("py39", "output/"),
    ("server", "warnings/"), ("server", "outcomes/"),
]  # fmt: skip


@pytest.mark.parametrize(("station", "suite"), CASES)
async def test_counts_and_exit_code_equal_plain_pytest(
    station: str, suite: str, root: Path, stations: dict[str, str], servers: dict[str, Server]
) -> None:
    expected, expected_exit, text = plain_pytest(stations[station], root, suite)
    assert sum(expected.values()) > 0, text  # the suite ran, so the comparison means something
    counts, exit_code, _ = await through_litmus(servers[station], suite)
    assert (counts, exit_code) == (expected, expected_exit), text


async def test_expected_outcomes_of_the_outcomes_suite(servers: dict[str, Server]) -> None:
    _, _, records = await through_litmus(servers["pytest9"], "outcomes/test_outcomes.py")
    steps = {m["data"]["nodeid"].split("::", 1)[1]: m["data"] for m in records if _kind(m) == "step_finished"}
    assert {name: s["outcome"] for name, s in steps.items()} == {
        "test_passes": "passed", "test_fails": "failed", "test_xfails": "xfailed", "test_xpasses": "xpassed",
        "test_xpass_strict_fails": "failed", "test_xfail_not_run": "xfailed", "test_skipped": "skipped",
        "test_skipped_if": "skipped", "test_skips_inside": "skipped", "test_fails_then_teardown_errors": "failed",
        "test_passes_then_teardown_errors": "error", "test_missing_fixture": "error", "test_setup_errors": "error",
        "TestGrouped::test_one": "passed", "TestGrouped::test_param[1]": "passed",
        "TestGrouped::test_param[2]": "failed", "TestGrouped::test_param[3]": "passed",
    }  # fmt: skip
    assert steps["test_missing_fixture"]["reason"] == "setup: fixture 'vin' not found"
    assert steps["test_setup_errors"]["reason"] == "setup: ValueError: setup exploded"
    assert steps["test_passes_then_teardown_errors"]["reason"] == "teardown: RuntimeError: teardown exploded"
    assert steps["test_fails"]["reason"] == "AssertionError: one is not two"
    assert steps["test_xfails"]["reason"] == "xfailed: known defect"
    assert steps["test_skipped"]["reason"] == "no bench"


async def test_collection_errors_name_the_file_and_the_exception(servers: dict[str, Server]) -> None:
    _, exit_code, records = await through_litmus(servers["pytest9"], "collection/")
    errors = {m["data"]["nodeid"]: m["data"] for m in records if _kind(m) == "step_finished"}
    assert errors["test_missing_import.py"]["outcome"] == "error"
    assert errors["test_missing_import.py"]["reason"] == (
        "ModuleNotFoundError: No module named 'no_such_module_for_litmus'"
    )
    assert "SyntaxError" in errors["test_syntax.py"]["reason"]
    complete = records[-1]
    assert (complete["status"], exit_code) == ("ERROR", 2)
    assert complete["reason"].startswith("2 errors during collection: test_missing_import.py: ModuleNotFoundError")


async def test_the_server_venv_lends_the_tests_no_plugin(servers: dict[str, Server]) -> None:
    _, _, records = await through_litmus(servers["server"], "warnings/")
    lines = [m["data"]["line"] for m in records if _kind(m) == "output"]
    plugins = [line for line in lines if line.startswith("plugins:")]
    assert plugins == [], plugins  # pytest prints this line only when a plugin was loaded from a package
    assert records[-1]["status"] == "FAILED"  # exactly the stray warning: see the comparison above


def _kind(record: dict) -> str:
    return record.get("data", {}).get("kind", "") if record["type"] == "event" else record["type"]
