"""A run's status and its reason in words, from how its test process ended: pytest's exit code
decides (0 PASSED, 1 FAILED, anything else ERROR), the counts and pytest's own words say why."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterable

from litmus_live.events import Status

_EXIT_REASONS = {2: "interrupted", 3: "internal error", 4: "usage error", 5: "no tests collected"}
_ARGPARSE = re.compile(r"^\S.*?: error: (.+)$")  # "python -m pytest: error: unrecognized arguments: --cov"
_SAID_MAX = 500


def verdict(
    exit_code: int | None,
    *,
    is_aborted: bool,
    failed: int,
    errors: int,
    total: int,
    collect_errors: list[str] = (),
    said: str = "",
) -> tuple[Status, str]:
    """The run's status and the reason in words, from how the test process ended."""
    if is_aborted:
        return Status.ABORTED, "aborted by operator"
    if exit_code == 0:
        return Status.PASSED, ""
    if exit_code == 1:
        counts = [f"{failed} failed"] * bool(failed) + [f"{errors} error{'s' * (errors != 1)}"] * bool(errors)
        return Status.FAILED, f"{', '.join(counts) or 'tests failed'} of {total} tests"
    if exit_code is not None and exit_code < 0:
        name = signal.Signals(-exit_code).name if -exit_code in signal.valid_signals() else "unknown"
        return Status.ERROR, f"killed by signal {-exit_code} ({name})"
    if collect_errors and exit_code == 2:
        n = len(collect_errors)
        return Status.ERROR, f"{n} error{'s' * (n != 1)} during collection: {'; '.join(collect_errors)}"[:1000]
    words = _EXIT_REASONS.get(exit_code, f"exit code {exit_code}")
    return Status.ERROR, f"{words}: {said}" if said else words


def pytest_said(exit_code: int | None, lines: Iterable[str], root: str) -> str:
    """What pytest itself printed about why it could not run (an internal error, 3, or a usage
    error, 4), from the last lines of its output; paths under the test root are made relative."""
    lines = list(lines)
    if exit_code == 3:
        said = [re.sub(r"^E\s+", "", line.removeprefix("INTERNALERROR>").strip()) for line in lines
                if line.startswith("INTERNALERROR>")]  # fmt: skip
        said = [line for line in said if line]
        return said[-1][:_SAID_MAX] if said else ""
    if exit_code == 4:
        found = [m.group(1) for line in lines if (m := _ARGPARSE.match(line))]
        found += [line.removeprefix("ERROR: ") for line in lines
                  if line.startswith("ERROR: ") and not line.startswith("ERROR: usage:")]  # fmt: skip
        return found[0].replace(root.rstrip(os.sep) + os.sep, "")[:_SAID_MAX] if found else ""
    return ""
