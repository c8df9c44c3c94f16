"""Sidecar files: `test_x.yaml` beside `test_x.py` holds Litmus marker fields for its tests.

Read as Litmus reads them (its execution/sidecar.py at 6e0eb045): the file's own fields apply to
every test of the module; `tests:` mirrors pytest's node ids, a class being a branch with fields
of its own and a nested `tests:`, a function a leaf; a test's leaf is tests[Class].tests[name],
else tests["Class.name"], else tests[name]. Fields are marker names without `litmus_`; `limits`
and `prompts` merge key by key, the most specific entry winning, and reach the test as
`litmus_limits` / `litmus_prompts` markers added after its own decorators, so a sidecar entry
overrides an inline one, as in Litmus. A field Litmus Live does not implement (sweeps, mocks,
characteristics, connections, retry, runner markers) fails each test it applies to, saying so,
and so does a sidecar that cannot be read: the reason is the test's setup error.
The YAML is read by yaml_subset (standard library only; what it takes is said there).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from . import yaml_subset
from .definitions import quoted

FIELDS = ("limits", "sweeps", "mocks", "characteristics", "connections", "retry", "prompts", "runner", "tests")
_MERGED = ("limits", "prompts")
_UNIMPLEMENTED = ("sweeps", "mocks", "characteristics", "connections", "retry")
REFUSAL = pytest.StashKey[str]()  # why a test cannot run as its sidecar asks


class SidecarError(ValueError):
    pass


def scoped(item: pytest.Item, marker: str) -> dict[str, object]:
    """The keywords of `marker` over an item's scopes, merged root to leaf (module, class, function, then its
    sidecar's), each node's markers in the order they were added: the most specific entry wins, as in Litmus."""
    merged: dict[str, object] = {}
    for node in item.listchain():
        for mark in node.own_markers:
            if mark.name == marker:
                if mark.args:
                    raise TypeError(
                        f"@pytest.mark.{marker} takes keyword arguments only (name=...), not positional ones"
                    )
                merged.update(mark.kwargs)
    return merged


class Sidecars:
    """Each module's sidecar, read once; applied to every test item as it is collected."""

    def __init__(self) -> None:
        self._read: dict[Path, dict | SidecarError | None] = {}

    def apply(self, item: pytest.Item) -> None:
        module = getattr(getattr(item, "module", None), "__file__", None)
        if not isinstance(item, pytest.Function) or module is None:
            return
        path = Path(module).with_suffix(".yaml")
        root = self._sidecar(path)
        if isinstance(root, SidecarError):
            item.stash[REFUSAL] = str(root)
        elif root is not None:
            cls = item.cls.__name__ if item.cls is not None else None
            _mark(item, path, _entries(root, cls, item.originalname))

    def _sidecar(self, path: Path) -> dict | SidecarError | None:
        if path not in self._read:
            try:
                self._read[path] = load(path)
            except SidecarError as exc:
                self._read[path] = exc
        return self._read[path]


def load(path: Path) -> dict | None:
    """The sidecar at `path`, checked; None when there is none. Raises SidecarError saying what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SidecarError(f"sidecar {path.name}: cannot be read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise SidecarError(f"sidecar {path.name}: cannot be read: not UTF-8 at byte {exc.start}") from None
    try:
        root = yaml_subset.load(text)
    except yaml_subset.YamlError as exc:
        raise SidecarError(f"sidecar {path.name}, {exc}") from None
    root = {} if root is None else root
    _check(root, path.name, "the file")
    return root


def _check(entry: object, name: str, where: str) -> None:
    if not isinstance(entry, dict):
        raise SidecarError(f"sidecar {name}: {where} must be a mapping of fields, got {_kind(entry)}")
    unknown = [str(key) for key in entry if key not in FIELDS]
    if unknown:
        fields = ", ".join(FIELDS)
        raise SidecarError(
            f"sidecar {name}: {where} has the unknown field {quoted(unknown[0])}; the fields are {fields}"
        )
    for field in (*_MERGED, "runner", "tests"):
        value = entry.get(field)
        if value is not None and not (isinstance(value, dict) and all(isinstance(k, str) for k in value)):
            raise SidecarError(
                f"sidecar {name}: {quoted(field)} of {where} must be a mapping by name, got {_kind(value)}"
            )
    for test, branch in (entry.get("tests") or {}).items():
        _check(branch, name, f"tests.{test}")


def _kind(value: object) -> str:
    return {dict: "a mapping", list: "a sequence", str: "a string", type(None): "nothing"}.get(type(value), "a scalar")


def _entries(root: dict, cls: str | None, func: str) -> list[dict]:
    """The entries that apply to one test, outermost first (Litmus's lookup order for its leaf)."""
    tests, chain = root.get("tests") or {}, [root]
    if cls is not None and cls in tests:
        chain.append(tests[cls])
        leaf = (tests[cls].get("tests") or {}).get(func)
        if leaf is not None:
            return [*chain, leaf]
    leaf = tests.get(f"{cls}.{func}") if cls is not None else None
    leaf = leaf if leaf is not None else tests.get(func)
    return [*chain, leaf] if leaf is not None else chain


def _mark(item: pytest.Item, path: Path, entries: list[dict]) -> None:
    for field in _MERGED:
        merged: dict[str, object] = {}
        for entry in entries:
            merged.update(entry.get(field) or {})
        if merged:
            item.add_marker(getattr(pytest.mark, f"litmus_{field}")(**merged))
    asked = [f"{quoted(field)} (litmus_{field})" for field in _UNIMPLEMENTED
             if any(entry.get(field) not in (None, [], {}) for entry in entries)]  # fmt: skip
    asked += ['"runner: markers:" (pytest markers)'] * any((e.get("runner") or {}).get("markers") for e in entries)
    if asked:
        item.stash[REFUSAL] = (
            f"sidecar {path.name} gives this test {', '.join(asked)}, which Litmus Live does not implement:"
            " it cannot be judged without it"
        )
