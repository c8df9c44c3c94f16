"""One module per workload, each with `run(quick: bool) -> list[Row]`, run in this order."""

from __future__ import annotations

ORDER = (
    "ingest", "delivery", "latency", "catchup", "fanout", "fanout_auth", "memory",
    "prompts", "channels", "polling", "latejoin", "browser", "verdicts", "fleet",
)  # fmt: skip


def repeats(quick: bool) -> int:
    """How many times each figure is measured; the table shows the median."""
    return 3 if quick else 5
