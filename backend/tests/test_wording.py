"""Every error text the plugin and the runner can give reads in words: JSON's names for values and
types ("text", true, null, an array, `string`), never Python's ('text', True, None, `str`, NoneType).

Each path that raises or refuses is driven here, with the values a station's tests or a broken
report could give, and every text is held to the rule the conformance suite holds the server's to.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from litmus_live import reports
from litmus_live.plugin import sidecar
from litmus_live.plugin.definitions import DefinitionError, check_answer, parse
from litmus_live.plugin.prompting import Asker, PromptUnavailableError, UndeclaredPromptError
from litmus_live.plugin.readings import Channels, Measurement, MissingLimitError, Verify
from litmus_live.runner import InvalidTestPath, resolve_test_path
from litmus_live.wording import in_words

# A programming language's notation where people read: a 'quoted' token (the quote not an
# apostrophe), None/True/False, Python's type names (bare after "got", or as msgspec writes them),
# an object's repr.
PYTHON = re.compile(
    r"(?<![A-Za-z])'[^'\s]|\b(?:None|True|False|NoneType)\b|`(?:str|int|float|bool|dict|list|tuple)`"
    r"|\bgot (?:an? )?(?:str|int|float|bool|dict|list|tuple|bytes)\b|<[\w.]+ object at 0x"
)


def assert_in_words(message: str) -> None:
    assert isinstance(message, str) and message, message
    assert not PYTHON.search(message), f"Python's notation in {message!r}"


def _raised(call, *args, **kwargs) -> str:
    with pytest.raises((ValueError, TypeError, LookupError, RuntimeError)) as info:
        call(*args, **kwargs)
    return str(info.value)


BAD_DEFINITIONS = [
    "just a string", None, ["message"], {"message": None}, {"message": 7}, {"message": True}, {"message": ""},
    {"message": "x" * 2001}, {"prompt_type": "confirm"}, {"message": "m", "colour": "red"},
    {"message": "m", "prompt_type": "essay"}, {"message": "m", "prompt_type": None},
    {"message": "m", "prompt_type": "choice"}, {"message": "m", "prompt_type": "choice", "choices": "ab"},
    {"message": "m", "prompt_type": "choice", "choices": ["a", None]}, {"message": "m", "prompt_type": "choice",
    "choices": ["a", 3]}, {"message": "m", "prompt_type": "choice", "choices": ["x" * 201]},
    {"message": "m", "prompt_type": "choice", "choices": [str(i) for i in range(101)]},
    {"message": "m", "choices": ["a"]}, {"message": "m", "pattern": "x"},
    {"message": "m", "prompt_type": "input", "min": True}, {"message": "m", "prompt_type": "input", "min": "1"},
    {"message": "m", "prompt_type": "input", "max": math.nan}, {"message": "m", "prompt_type": "input", "min": 5,
    "max": 1}, {"message": "m", "prompt_type": "input", "default": 5}, {"message": "m", "prompt_type": "input",
    "max": 10, "default": "50"}, {"message": "m", "prompt_type": "input", "default": "x" * 1001},
    {"message": "m", "prompt_type": "input", "pattern": "x" * 1001}, {"message": "m", "timeout_seconds": 0},
    {"message": "m", "timeout_seconds": False}, {"message": "m", "timeout_seconds": 1e9},
    *({"message": "m", "prompt_type": "input", "pattern": pattern}
      for pattern in ("(", "[b-a]", "\\q", "a**", "(?P<a>x)(?P<a>y)", "(?P=x)", "\\s", "^a", "{", "(?i)a", "[]a]",
                      "[a[b]")),
]  # fmt: skip


@pytest.mark.parametrize("raw", BAD_DEFINITIONS)
def test_a_bad_prompt_definition_says_why_in_words(raw: object) -> None:
    with pytest.raises(DefinitionError) as info:
        parse("it's", raw)  # an apostrophe in a name is no quote
    assert str(info.value).startswith('prompt "it\'s": ')
    assert_in_words(str(info.value))


@pytest.mark.parametrize("name", [None, 3, "", "n" * 101, ["a"], b"name"])
def test_a_bad_name_says_what_arrived_in_words(name: object) -> None:
    texts = [
        _raised(parse, name, {"message": "m"}),
        _raised(Channels(None).record, name, 1.0),
        _raised(Verify(None, "t.py::t"), name, 1.0, low=0),
    ]
    for text in texts:
        assert " name is a string of 1 to 100 characters, got " in text
        assert_in_words(text)


@pytest.mark.parametrize("value", [None, False, 3, 2.5, [], {}, "c", "x" * 2000, "abc", "-1", "1e999", "99"])
def test_an_answer_that_does_not_fit_says_why_in_words(value: object) -> None:
    prompts = [
        parse("p", {"message": "m"}),
        parse("p", {"message": "m", "prompt_type": "choice", "choices": ["a", "b"]}),
        parse("p", {"message": "m", "prompt_type": "input", "pattern": "\\d+", "min": 0, "max": 50}),
    ]
    for definition in prompts:
        why = check_answer(definition, value)
        if why:
            assert_in_words(why)


def test_readings_and_measurements_that_do_not_fit_say_why_in_words() -> None:
    channels, verify = Channels(None), Verify(None, "t.py::t", {"marked": [1, 2]})
    texts = [
        _raised(channels.record, "c", None), _raised(channels.record, "c", [1]), _raised(channels.record, "c", b"1"),
        _raised(channels.record, "c", object()), _raised(channels.record, "c", "x" * 1001),
        _raised(channels.record, "c", math.inf), _raised(channels.record, "c", 1, unit=None),
        _raised(channels.record, "c", 1, unit="u" * 41), _raised(channels.record, "c", 1, low=2, high=1),
        _raised(channels.record, "c", 1, low="1"), _raised(channels.record_many, "c", [1], interval=0),
        _raised(channels.record_many, "c", [1], interval="1"), _raised(channels.record_many, "c", [None], interval=1),
        _raised(verify, "v", "hot", low=0), _raised(verify, "v", True, low=0), _raised(verify, "v", math.nan, low=0),
        _raised(verify, "v", [1], low=0), _raised(verify, "v", 1), _raised(verify, "v", 1, [1, 2]),
        _raised(verify, "v", 1, {"lo": 1}), _raised(verify, "v", 1, {"unit": "V"}), _raised(verify, "v", 1, low=2,
        high=1), _raised(verify, "v", 1, low=None, high="5"), _raised(verify, "v", 1, low=0, unit=5),
        _raised(verify, "marked", 1), _raised(verify, "v", 1, low=math.inf),
        _raised(float, Measurement("v", None, 0, 1, "", "ERROR")),
    ]  # fmt: skip
    assert any("has no limit" in text for text in texts)
    for text in texts:
        assert_in_words(text)
    with pytest.raises(MissingLimitError):
        verify("v", 1)


class _Replies:
    """The server's side of the private channel, as far as a prompt sees it: one reply per ask."""

    def __init__(self, reply: dict | None) -> None:
        self._reply = reply

    def ask(self, ask: dict, limit: float | None) -> dict | None:
        return self._reply


def test_a_prompt_that_cannot_be_asked_or_answered_says_why_in_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LITMUS_AUTO_CONFIRM", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO())
    two = {"go": parse("go", {"message": "Go?"}), "pick": parse("pick", {"message": "m", "prompt_type": "choice",
           "choices": ["a"]})}  # fmt: skip
    alone = Asker(two, "t.py::t", None, contextlib.nullcontext)
    texts = [_raised(alone), _raised(alone, "nope"), _raised(alone, "go", message=""), _raised(alone, "go")]
    for reply in (None, {"resolution": "expired", "value": None, "reason": "no answer within 5 s"},
                  {"resolution": "withdrawn", "value": None, "reason": "the run was aborted"}):  # fmt: skip
        texts.append(_raised(Asker(two, "t.py::t", _Replies(reply), contextlib.nullcontext), "go"))  # type: ignore[arg-type]
    for text in texts:
        assert_in_words(text)
    with pytest.raises(UndeclaredPromptError):
        alone("nope")
    with pytest.raises(PromptUnavailableError):
        alone("go")


SIDECARS = [
    "a: &x 1", "a: *x", "a: !!str 1", "a: |\n  text", "---\na: 1", "a: 1\na: 2", "a: {b: 1", "a:\n\t- 1", "a: b: c",
    "? a\n: b", "a: 1\n  b: 2", "a: 'x", "a: 1:30", "a: 2024-01-02", "a: [1,\n  2]", "a: \"\\q\"", "a: 'x' y",
    "a: {b: 1} c", "a: {b 1}", "[1, 2]", "tests: [1]", "colour: red", "limits: [1]", "limits: {1: a}",
    "tests:\n  test_x: 3", "tests:\n  test_x:\n    colour: red", "a: yes",
]  # fmt: skip


@pytest.mark.parametrize("text", SIDECARS)
def test_a_sidecar_that_cannot_be_used_says_why_in_words(tmp_path: Path, text: str) -> None:
    path = tmp_path / "test_x.yaml"
    path.write_text(text)
    with pytest.raises(sidecar.SidecarError) as info:
        sidecar.load(path)
    assert_in_words(str(info.value))


def test_a_sidecar_that_cannot_be_read_says_why_in_words(tmp_path: Path) -> None:
    (tmp_path / "test_x.yaml").write_bytes(b"limits: \xff\n")
    (tmp_path / "test_y.yaml").mkdir()
    for name in ("test_x.yaml", "test_y.yaml"):
        with pytest.raises(sidecar.SidecarError) as info:
            sidecar.load(tmp_path / name)
        assert f"sidecar {name}: cannot be read: " in str(info.value)
        assert_in_words(str(info.value))


BAD_REPORTS = [
    b"", b"{x", b"[]", b"null", b'"text"', b"\xff", b'{"report": "nope"}', b'{"report": null}', b'{"nodeid": "a"}',
    b'{"report": "step_started", "nodeid": null, "ts": 1}', b'{"report": "step_started", "nodeid": [1], "ts": "1"}',
    b'{"report": "step_finished", "nodeid": "a", "outcome": "meh", "duration": 1, "reason": "", "ts": 1}',
    b'{"report": "collected", "count": true, "nodeids": {}}', b'{"report": "collected", "count": 1.5, "nodeids": []}',
    b'{"report": "samples", "channel": "", "unit": "", "t": [], "v": []}',
    b'{"report": "samples", "channel": "c", "unit": "", "t": [1], "v": [{}]}',
    b'{"report": "samples", "channel": "c", "unit": "", "t": [1, 2], "v": [1]}',
    b'{"report": "output", "stream": "stdin", "text": "x"}', b'{"report": "session_finished", "exitstatus": false}',
    b'{"report": "measurement", "name": "v", "value": "5", "low": null, "high": null, "unit": "", "is_pass": 1,'
    b' "nodeid": null, "ts": 1}',
    b'{"report": "prompt_ask", "prompt_id": "a", "name": "n", "nodeid": null, "definition": {"message": "m", "z": 1}}',
    b'{"report": "prompt_ask", "prompt_id": "a", "name": "n", "nodeid": null, "definition": {"message": "m",'
    b' "prompt_type": "choice"}}',
    b'{"report": "prompt_auto", "prompt_id": "a", "name": "n", "nodeid": null, "definition": {"message": "m"},'
    b' "value": null}',
]  # fmt: skip


@pytest.mark.parametrize("line", BAD_REPORTS)
def test_a_refused_report_says_why_in_words(line: bytes) -> None:
    with pytest.raises(reports.Refused) as info:
        reports.decode(line)
    assert str(info.value).startswith("a report from the test process was refused: ")
    assert_in_words(str(info.value))


def test_msgspec_texts_name_json_types_and_quote_as_json() -> None:
    with pytest.raises(msgspec.ValidationError) as info:
        msgspec.json.decode(b'{"a": "fax"}', type=dict[str, int])
    assert in_words(info.value) == "Expected `integer`, got `string` - at `$[...]`"


def test_a_test_path_that_cannot_run_says_why_in_words(tmp_path: Path) -> None:
    root = tmp_path / "tests"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    (root / "loop").symlink_to(root / "loop")
    for test_path in ("", "../x.py", "nope's.py", "/etc", "n" * 300, "link/", "loop/x.py", "a\x00b"):
        with pytest.raises(InvalidTestPath) as info:
            resolve_test_path(root, test_path)
        assert_in_words(str(info.value))


SUITE = {
    "conftest.py": """
import json, pytest
REASONS = {}
def pytest_runtest_logreport(report):
    if report.failed or report.outcome == "skipped" and hasattr(report, "wasxfail"):
        crash = getattr(report.longrepr, "reprcrash", None)
        REASONS[f"{report.nodeid} {report.when}"] = crash.message if crash else str(report.longrepr)
def pytest_sessionfinish(session):
    with open("reasons.json", "w") as f:
        json.dump(REASONS, f)
""",
    "test_refused.py": """
import pytest
@pytest.mark.litmus_retry(times=2)
def test_unimplemented(): pass
@pytest.mark.litmus_unheard_of
def test_unknown(): pass
@pytest.fixture
def late(request):
    request.applymarker(pytest.mark.litmus_sweeps(v=[1]))
def test_added_by_a_fixture(late): pass
def test_added_by_the_test(request):
    request.applymarker(pytest.mark.litmus_mocks(dut="x"))
@pytest.mark.litmus_prompts(p={"message": 7})
def test_bad_prompt(prompt): pass
@pytest.mark.litmus_prompts("positional")
def test_positional(prompt): pass
""",
    "test_side.py": "def test_sweep(): pass\ndef test_runner(): pass\n",
    "test_side.yaml": "tests:\n  test_sweep:\n    sweeps: [{v: 1}]\n    retry: 2\n  test_runner:\n"
    "    runner:\n      markers: [slow]\n",
    "test_broken.py": "def test_any(): pass\n",
    "test_broken.yaml": "colour: red\n",
    "pytest.ini": "[pytest]\n",
}


def test_every_refusal_of_a_test_reads_in_words_and_none_passes(tmp_path: Path) -> None:
    for name, text in SUITE.items():
        (tmp_path / name).write_text(text)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "LITMUS_"))}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "litmus_live.plugin", "-p", "no:cacheprovider", "-q"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "passed" not in done.stdout.splitlines()[-1], done.stdout
    reasons = json.loads((tmp_path / "reasons.json").read_text())
    assert len({key.split()[0] for key in reasons}) == 9, reasons
    for reason in reasons.values():
        assert_in_words(reason)
