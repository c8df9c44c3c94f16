"""Runs the benchmarks: one markdown table on stdout, and the same with machine info in bench/results/.

Each workload (bench/workloads/<name>.py) drives a real `litmus-live serve` on 127.0.0.1 from
processes of its own. `make bench` runs the quick mode (about 7 minutes on 2 cores);
`make bench FULL=1` the full one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import importlib.metadata
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path

import cpus
import litmus_live
import workloads
from table import Row, Source, markdown, sources_markdown

RESULTS = Path(__file__).resolve().parent / "results"
PACKAGES = ("litmus-live", "starlette", "uvicorn", "websockets", "msgspec", "pytest")


def main() -> int:
    args = _parser().parse_args()
    if args.no_pin:
        cpus.disable()
    cpus.pin(0, cpus.LOAD)
    quick = not args.full
    started, load_before = time.monotonic(), os.getloadavg()
    rows: list[Row] = []
    sources: list[Source] = []
    for name in args.only or workloads.ORDER:
        at_start, begun = _checkout(), time.monotonic()
        rows += _run(name, quick)
        sources.append(Source(name, at_start, _checkout(), time.monotonic() - begun))
    load = f"{load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after (1-minute load average)"
    report = _report(rows, sources, "quick" if quick else "full", time.monotonic() - started, load)
    print(report)
    if not args.no_save:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{dt.date.today().isoformat()}-{'quick' if quick else 'full'}.md"
        path.write_text(report + "\n")
        print(f"\nwritten to {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 1 if any(row.error for row in rows) else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Litmus Live benchmarks")
    parser.add_argument("--full", action="store_true", help="bigger counts, more repeats (several minutes)")
    parser.add_argument("--only", nargs="+", choices=workloads.ORDER, help="run only these workloads")
    parser.add_argument("--no-pin", action="store_true", help="let the OS place the server and the load")
    parser.add_argument("--no-save", action="store_true", help="print the table only")
    return parser


def _run(name: str, quick: bool) -> list[Row]:
    started = time.monotonic()
    print(f"[bench] {name} ...", file=sys.stderr, flush=True)
    module = importlib.import_module(f"workloads.{name}")
    try:
        rows = module.run(quick)
    # One broken workload must not hide the others' figures: it becomes a FAILED row.
    except Exception as exc:
        traceback.print_exc()
        rows = [Row(name, "(whole workload)", "", error=f"{type(exc).__name__}: {exc}")]
    print(f"[bench] {name}: {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    return rows


def _report(rows: list[Row], sources: list[Source], mode: str, elapsed: float, load: str) -> str:
    lines = [
        f"# Litmus Live benchmarks — {mode} mode, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        "",
        f"Every figure is the median of up to {workloads.repeats(mode == 'quick')} repeats (latency and polling: "
        "consecutive windows of one run; fan-out: one window of a run each, ours and the ceiling taken in turn; "
        "a spread of a single value is one measurement); spread is min-max. "
        f"Real `litmus-live serve` (uvicorn, SQLite WAL, durable commits) on 127.0.0.1; clients in other "
        f"processes. {cpus.describe()}.",
        "",
        markdown(rows),
        "",
        "## Code measured, per workload",
        "",
        sources_markdown(sources),
        "",
        "## Machine",
        "",
        *[f"- {key}: {value}" for key, value in _machine().items()],
        f"- machine load: {load}",
        f"- bench wall time: {elapsed:.0f} s",
    ]
    return "\n".join(lines)


def _machine() -> dict[str, str]:
    return {
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": _memory(),
        "OS": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": ", ".join(f"{name} {_version(name)}" for name in PACKAGES),
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory() -> str:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "unknown"


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _checkout() -> tuple[str, bool]:
    """`git describe` of the checkout the servers import from, and whether its tree is clean:
    nothing modified or untracked, save results of earlier runs under bench/results/."""
    backend = Path(litmus_live.__file__).resolve().parent
    described = _git(backend, "describe", "--always", "--abbrev=7") or "unknown (not a git checkout)"
    top = _git(backend, "rev-parse", "--show-toplevel")
    changes = _git(Path(top), "status", "--porcelain", "--", ".", ":!bench/results") if top else "?"
    return described, not changes


def _git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], capture_output=True, text=True, check=False, cwd=cwd)
    return result.stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
