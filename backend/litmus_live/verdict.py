"""A run's status and its reason in words, from how its test process ended: pytest's exit code
decides (0 PASSED, 1 FAILED, anything else ERROR), the counts and pytest's own words say why."""

from __future__ import annotations

import signal

from litmus_live.events import Status

_EXIT_REASONS = {2: "interrupted", 3: "internal error", 4: "usage error", 5: "no tests collected"}


def verdict(
    exit_code: int | None, *, is_aborted: bool, failed: int, errors: int, total: int, collect_errors: list[str] = ()
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
    return Status.ERROR, _EXIT_REASONS.get(exit_code, f"exit code {exit_code}")
