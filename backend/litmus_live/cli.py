"""litmus-live serve | launch | watch: the command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

import uvicorn

from litmus_live import client, settings
from litmus_live.app import create_app
from litmus_live.events import (
    Collected,
    Complete,
    Event,
    Output,
    Progress,
    Record,
    RunCreated,
    Status,
    StepFinished,
    StepStarted,
)

EXIT_CODES = {Status.PASSED: 0, Status.FAILED: 1, Status.ERROR: 2, Status.ABORTED: 3}
_DEFAULT_SERVER = "http://127.0.0.1:8000"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return args.func(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="litmus-live", description="Live test monitor for pytest test stations.")
    sub = parser.add_subparsers(required=True)

    serve = sub.add_parser("serve", help="start the server")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--data-dir", type=Path, help="where runs are stored (default ./data)")
    serve.add_argument("--tests", type=Path, help="test root; nothing outside it runs (default examples/)")
    serve.add_argument("--static-dir", type=Path, help="built frontend to serve (frontend/dist)")
    serve.add_argument("--allow-origin", action="append", help="extra browser origin allowed on /ws")
    serve.set_defaults(func=_serve)

    launch = sub.add_parser("launch", help="start a run on a server")
    launch.add_argument("path", help="test path, relative to the server's test root")
    launch.add_argument("--serial", default="unspecified", help="UUT serial number")
    launch.add_argument("--operator", default="")
    launch.add_argument("--station", default="")
    launch.add_argument("--server", default=_DEFAULT_SERVER)
    launch.add_argument("--watch", action="store_true", help="print the run as it streams; exit with its verdict")
    launch.set_defaults(func=_launch)

    watch = sub.add_parser("watch", help="print a run as it streams; exit with its verdict")
    watch.add_argument("run_id")
    watch.add_argument("--server", default=_DEFAULT_SERVER)
    watch.set_defaults(func=_watch)
    return parser


def _serve(args: argparse.Namespace) -> int:
    origins = frozenset(args.allow_origin) if args.allow_origin else None
    config = settings.load(
        host=args.host, port=args.port, data_dir=args.data_dir, tests=args.tests,
        static_dir=args.static_dir, allowed_origins=origins,
    )  # fmt: skip
    uvicorn.run(
        create_app(config),
        host=config.host,
        port=config.port,
        ws="websockets-sansio",
        ws_max_size=1024 * 1024,
        ws_per_message_deflate=False,
        log_level="info",
    )
    return 0


def _launch(args: argparse.Namespace) -> int:
    body = {"test_path": args.path, "uut_serial": args.serial, "operator": args.operator, "station": args.station}
    request = urllib.request.Request(
        f"{args.server}/api/runs", json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            launched = json.load(response)
    except urllib.error.HTTPError as exc:
        print(f"launch refused ({exc.code}): {exc.read().decode(errors='replace')}", file=sys.stderr)
        return 2
    except urllib.error.URLError as exc:
        print(f"cannot reach {args.server}: {exc.reason}", file=sys.stderr)
        return 2
    print(f"run {launched['run_id']}: {args.server}{launched['live_url']}")
    if not args.watch:
        return 0
    return asyncio.run(_print_run(args.server, launched["run_id"]))


def _watch(args: argparse.Namespace) -> int:
    return asyncio.run(_print_run(args.server, args.run_id))


async def _print_run(server: str, run_id: str) -> int:
    url = server.replace("http", "ws", 1) + "/ws"
    try:
        async for record in client.watch(url, run_id):
            line = describe(record)
            if line:
                print(line, flush=True)
            if isinstance(record, Complete):
                return EXIT_CODES[record.status]
    except client.ServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"cannot reach {url}: {exc}", file=sys.stderr)
    return 2


def describe(record: Record) -> str:
    """One terminal line for a record ('' for records not worth a line)."""
    match record:
        case Progress(total=total, done=done, current_step=step, status=status):
            width = 30
            filled = width * done // total if total else 0
            bar = "#" * filled + "-" * (width - filled)
            return f"[{bar}] {done}/{total} {status}" + (f"  {step}" if step else "")
        case Complete():
            return f"== {record.status} (exit code {record.exit_code}) {record.reason}".rstrip()
        case Event(data=Output(stream=stream, line=text)):
            return f"  {'!' if stream == 'stderr' else '|'} {text}"
        case Event(data=StepFinished() as step):
            return f"  {step.outcome.upper():8} {step.nodeid} ({step.duration:.2f}s) {step.reason}".rstrip()
        case Event(data=Collected(count=count)):
            return f"collected {count} tests"
        case Event(data=RunCreated() as meta):
            return f"run of {meta.test_path} on UUT {meta.uut_serial}"
        case Event(data=StepStarted()):
            return ""
        case Event(data=data):
            return f"  {data.__struct_config__.tag}"
    return ""


if __name__ == "__main__":
    sys.exit(main())
