"""litmus-live serve | launch | watch | answer | respond: the command line.

watch exits with the run's verdict (PASSED 0, FAILED 1, ERROR 2, ABORTED 3) and 4 when it
could not watch at all; answer and respond talk to the server through `client`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sqlite3
import sys
import urllib.error
import urllib.request
from pathlib import Path

from litmus_live import client, responder, settings
from litmus_live import protocol as p
from litmus_live.auth import commands, local
from litmus_live.events import (
    AbortRequested,
    Collected,
    Complete,
    Event,
    Output,
    Progress,
    Prompt,
    PromptResolved,
    Record,
    RunCreated,
    Status,
    StepFinished,
    StepStarted,
)
from litmus_live.plugin.definitions import PromptType

EXIT_CODES = {Status.PASSED: 0, Status.FAILED: 1, Status.ERROR: 2, Status.ABORTED: 3}
NO_VERDICT = 4  # could not watch (no server, no such run): not a verdict of the run
RESYNC_LINE = "-- the server lost part of this run's history: the run again, from its start --"
_DEFAULT_SERVER = "http://127.0.0.1:8000"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except settings.SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="litmus-live", description="Live test monitor for pytest test stations.")
    sub = parser.add_subparsers(required=True)

    serve = sub.add_parser("serve", help="start the server")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--data-dir", type=Path, help="where runs are stored (default ./data)")
    serve.add_argument("--tests", type=Path, help="test root; nothing outside it runs (default examples/)")
    serve.add_argument("--static-dir", type=Path, help="built frontend to serve (frontend/dist)")
    serve.add_argument("--python", help="the Python that runs the tests (the station's venv); default: this one")
    serve.add_argument("--allow-origin", action="append",
                       help="another site's origin that may read (and, with a token, act); repeatable")  # fmt: skip
    serve.add_argument("--auth", choices=["on", "off"], help="ask for credentials (default on; off: loopback only)")
    serve.add_argument("--public-url", action="append", help="a URL people reach this server by; repeatable")
    serve.add_argument("--allowed-host", action="append", help="another Host name (with :port) to answer to")
    serve.add_argument("--store", help="redis://host:port/db: join a fleet sharing that Redis (default: SQLite)")
    serve.add_argument("--station", help="in a fleet, the name this node runs tests under (default: viewer only)")
    serve.set_defaults(func=_serve)

    launch = sub.add_parser("launch", help="start a run on a server")
    launch.add_argument("path", help="test path, relative to the server's test root")
    launch.add_argument("--serial", default="unspecified", help="UUT serial number")
    launch.add_argument("--operator", default="")
    launch.add_argument("--station", default="")
    launch.add_argument("--server", default=_DEFAULT_SERVER)
    _credential_options(launch)
    launch.add_argument("--watch", action="store_true", help="print the run as it streams; exit with its verdict")
    launch.set_defaults(func=_launch)

    watch = sub.add_parser(
        "watch",
        help="print a run as it streams; exit with its verdict",
        description="Print a run as it streams (progress, steps, output, prompts). Exit code: PASSED 0, "
        "FAILED 1, ERROR 2, ABORTED 3; 4 when the run could not be watched.",
    )
    watch.add_argument("run_id")
    watch.add_argument("--server", default=_DEFAULT_SERVER)
    _credential_options(watch)
    watch.add_argument("--since-seq", type=int, default=0, help="resume after this seq (the last one you hold)")
    watch.add_argument("--show-seq", action="store_true", help="start every record's line with #SEQ")
    watch.set_defaults(func=_watch)

    answer = sub.add_parser(
        "answer",
        help="answer an open prompt of a run",
        description="Answer an open prompt. Exit code: 0 accepted; 1 refused (invalid, already answered, "
        "no such open prompt), with the reason; 4 when the server or run could not be reached.",
    )
    answer.add_argument("run_id")
    answer.add_argument("prompt", help="the prompt's name (insert_uut) or its prompt_id")
    answer.add_argument("value", help="confirm: true (or yes); choice: one of the choices; input: the text")
    answer.add_argument("--who", default=None, help="ignored: the server records the token's name")
    answer.add_argument("--via", choices=[v.value for v in p.AnswerVia], default=p.AnswerVia.TERMINAL.value,
                        help="ignored: the server records 'script' for a token")  # fmt: skip
    answer.add_argument("--wait", action="store_true", help="wait for the prompt to open instead of failing")
    answer.add_argument("--server", default=_DEFAULT_SERVER)
    _credential_options(answer)
    answer.set_defaults(func=_answer)

    respond = sub.add_parser(
        "respond",
        help="answer prompts by rules, on every live run or one run",
        description="Answer the prompts of every live run (or of --run) by the rules in a YAML file, "
        "logging each decision.",
        epilog=responder.RULES_FORMAT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    respond.add_argument("--rules", type=Path, required=True, help="the rules file (format below)")
    respond.add_argument("--run", help="only this run; exit when it completes")
    respond.add_argument("--who", default=None, help="the name it says it answers as; the server records the token's")
    respond.add_argument("--server", default=_DEFAULT_SERVER)
    _credential_options(respond)
    respond.set_defaults(func=_respond)
    commands.add_parsers(sub, lambda: settings.load().data_dir)
    return parser


def _credential_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--token", default=None, help="API token (default: $LITMUS_TOKEN, else the local credential)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where a server on this machine keeps its local credential (default ./data)")  # fmt: skip


def _token(args: argparse.Namespace) -> str | None:
    return local.token_for_cli(args.token, args.data_dir or settings.load().data_dir)


def _headers(args: argparse.Namespace) -> dict[str, str]:
    token = _token(args)
    return {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}


def _serve(args: argparse.Namespace) -> int:
    import uvicorn  # noqa: PLC0415 - the server's imports cost every other command half a second

    from litmus_live.app import create_app  # noqa: PLC0415
    from litmus_live.transport import Transport  # noqa: PLC0415

    config = settings.load(
        host=args.host, port=args.port, data_dir=args.data_dir, tests=args.tests,
        static_dir=args.static_dir, allowed_origins=args.allow_origin, auth=args.auth,
        public_urls=args.public_url, allowed_hosts=args.allowed_host, python=args.python,
        store=args.store, station=args.station,
    )  # fmt: skip
    if not config.auth and not config.is_loopback:
        print(f"error: --auth off is only for a loopback bind (127.0.0.1, ::1, localhost); got --host {config.host}. "
              "Create users and tokens instead (litmus-live users add / tokens create).", file=sys.stderr)  # fmt: skip
        return 2
    if not config.auth:
        logging.getLogger("litmus_live").warning(
            "AUTH IS OFF: anyone who can reach %s:%d may launch, abort and answer, as 'anonymous'",
            config.host,
            config.port,
        )
    try:
        app = create_app(config)
    except (sqlite3.OperationalError, OSError) as exc:  # a full disk, or a data dir that is not ours
        print(f"error: cannot open the data dir {config.data_dir}: {exc}", file=sys.stderr)
        return 1

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: list | None = None) -> None:
            await app.state.before_stop()  # live runs are recorded as stopped before any client is closed
            await super().shutdown(sockets)

    uvicorn_config = uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        ws=Transport,
        ws_max_size=1024 * 1024,
        ws_ping_interval=config.ping_interval,
        ws_ping_timeout=config.ping_interval,
        ws_per_message_deflate=False,
        log_level="info",
    )
    try:
        Server(uvicorn_config).run()
    except KeyboardInterrupt:  # uvicorn raises the Ctrl-C it handled again once it has stopped gracefully
        return 130
    return 0


def _launch(args: argparse.Namespace) -> int:
    body = {"test_path": args.path, "uut_serial": args.serial, "operator": args.operator, "station": args.station}
    request = urllib.request.Request(
        f"{args.server}/api/runs", json.dumps(body).encode(), _headers(args), method="POST"
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
    return asyncio.run(_print_run(args.server, launched["run_id"], token=_token(args)))


def _watch(args: argparse.Namespace) -> int:
    return asyncio.run(_print_run(args.server, args.run_id, args.since_seq, show_seq=args.show_seq, token=_token(args)))


def _ws_url(server: str) -> str:
    return server.replace("http", "ws", 1) + "/ws"


async def _print_run(
    server: str, run_id: str, since_seq: int = 0, *, show_seq: bool = False, token: str | None = None
) -> int:
    url = _ws_url(server)
    try:
        async for record in client.watch(url, run_id, since_seq, token=token):
            if isinstance(record, p.Subscribed):  # a resync: what was printed is of a lost history
                print(RESYNC_LINE, flush=True)
                continue
            line = describe(record)
            if show_seq:
                line = f"#{record.seq} {line}".rstrip()
            if line:
                print(line, flush=True)
            if isinstance(record, Complete):
                return EXIT_CODES[record.status]
    except client.ServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"cannot reach {url}: {exc}", file=sys.stderr)
    return NO_VERDICT


def _answer(args: argparse.Namespace) -> int:
    return asyncio.run(_answer_prompt(args))


async def _answer_prompt(args: argparse.Namespace) -> int:
    url = _ws_url(args.server)
    try:
        async with client.connect(url, token=_token(args)) as c:
            prompt, open_names = await _find_prompt(c, args.run_id, args.prompt, wait=args.wait)
            if prompt is None:
                name = json.dumps(args.prompt, ensure_ascii=False)
                print(f"no open prompt {name} in run {args.run_id}; open: {open_names or 'none'}", file=sys.stderr)
                return 1
            value = parse_value(prompt, args.value)
            result = await c.answer(args.run_id, prompt.prompt_id, value, who=args.who, via=p.AnswerVia(args.via))
    except client.ServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return NO_VERDICT
    except OSError as exc:
        print(f"cannot reach {url}: {exc}", file=sys.stderr)
        return NO_VERDICT
    if result.is_accepted:
        print(f"accepted: {prompt.name} = {json.dumps(value, ensure_ascii=False)}")
        return 0
    print(f"{result.outcome}: {result.reason}", file=sys.stderr)
    return 1


async def _find_prompt(c: client.Client, run_id: str, wanted: str, *, wait: bool) -> tuple[Prompt | None, list[str]]:
    """The open prompt named or numbered `wanted`, once caught up with the run's log (or later, if `wait`)."""
    open_prompts: dict[str, Prompt] = {}
    head = None
    async with contextlib.aclosing(c.watch(run_id)) as watch:
        async for message in watch:
            if isinstance(message, p.Subscribed):
                head = message.head_seq
            else:
                _fold_prompts(message, open_prompts)
            held = message.since_seq if isinstance(message, p.Subscribed) else message.seq
            if head is None or held < head:
                continue  # still catching up: a prompt seen now may be resolved a few records on
            found = [q for q in open_prompts.values() if wanted in (q.prompt_id, q.name)]
            if found:
                return found[-1], []
            if isinstance(message, Complete) or not wait:
                break
    return None, [q.name for q in open_prompts.values()]


def _fold_prompts(record: Record, open_prompts: dict[str, Prompt]) -> None:
    match record:
        case Prompt():
            open_prompts[record.prompt_id] = record
        case Event(data=PromptResolved(prompt_id=prompt_id)):
            open_prompts.pop(prompt_id, None)


def parse_value(prompt: Prompt, text: str) -> bool | str:
    """The command line's text as the prompt wants it: confirm takes true (also yes, y, 1)."""
    if prompt.prompt_type is PromptType.CONFIRM and text.strip().lower() in ("true", "yes", "y", "1", "confirm"):
        return True
    return text


def _respond(args: argparse.Namespace) -> int:
    try:
        rules = responder.load_rules(args.rules.read_text(), str(args.rules))
    except (OSError, responder.RulesError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(_respond_with(args, rules))
    return 0


async def _respond_with(args: argparse.Namespace, rules: list[responder.Rule]) -> int:
    url = _ws_url(args.server)
    who = args.who or responder.default_who()
    try:
        async with client.connect(url, token=_token(args)) as c:
            bot = responder.Responder(c, rules, who=who, say=lambda line: print(line, flush=True))
            print(f"answering as {who} on {url} with {len(rules)} rules", flush=True)
            if args.run is None:
                await bot.every_live_run()
            else:
                await bot.respond(args.run)
    except client.ServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return NO_VERDICT
    except OSError as exc:
        print(f"cannot reach {url}: {exc}", file=sys.stderr)
        return NO_VERDICT
    return 0


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
        case Prompt():
            return _describe_prompt(record)
        case Event(data=data):
            return _describe_event(data)
    return ""


def _describe_event(data: object) -> str:
    match data:
        case Output(stream=stream, line=text):
            return f"  {'!' if stream == 'stderr' else '|'} {text}"
        case StepFinished() as step:
            return f"  {step.outcome.upper():8} {step.nodeid} ({step.duration:.2f}s) {step.reason}".rstrip()
        case Collected(count=count):
            return f"collected {count} tests"
        case RunCreated() as meta:
            return f"run of {meta.test_path} on UUT {meta.uut_serial}"
        case StepStarted():
            return ""
        case PromptResolved() as resolved:
            return _describe_resolution(resolved)
        case AbortRequested(who=who):
            return f"  ABORT    by {who}"
    return f"  {data.__struct_config__.tag}"  # type: ignore[attr-defined]


def _describe_prompt(prompt: Prompt) -> str:
    line = f"? {prompt.name} ({prompt.prompt_type}): {prompt.message}"
    if prompt.choices:
        line += f" [{' | '.join(prompt.choices)}]"
    if prompt.deadline is not None:
        line += f" (until {prompt.deadline:%H:%M:%S} UTC)"
    return f"{line}  prompt {prompt.prompt_id}"


def _describe_resolution(resolved: PromptResolved) -> str:
    if resolved.value is not None:
        value = json.dumps(resolved.value, ensure_ascii=False)
        answered = f"{value} by {resolved.who} via {resolved.via} after {resolved.waited:.1f}s"
        return f"  = prompt {resolved.prompt_id} answered {answered}"
    return f"  = prompt {resolved.prompt_id} {resolved.resolution}: {resolved.reason}"


if __name__ == "__main__":
    sys.exit(main())
