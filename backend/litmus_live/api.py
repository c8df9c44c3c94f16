"""HTTP routes: launch and abort runs, list runs and tests, read a run's output log."""

from __future__ import annotations

import asyncio
import http
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from litmus_live.auth import Gate, Identity, Role
from litmus_live.auth.edge import identity_of, public, requires
from litmus_live.bodies import (
    Aborting,
    ChannelCounts,
    ErrorDetail,
    Health,
    HttpError,
    LaunchBody,
    Launched,
    Tail,
    TailLine,
    TestList,
    view,
)
from litmus_live.bodies import HttpErrorCode as Code
from litmus_live.events import Status
from litmus_live.fleet.routing import Refused, Routing
from litmus_live.live_run import TAIL_LINES
from litmus_live.protocol import in_words
from litmus_live.runner import RECORD_WAIT, InvalidTestPath, LaunchRequest, NotLive, Runner
from litmus_live.store import EventStore, RunQuery, StoreUnavailable, UnknownRun

MAX_TESTS_LISTED = 1000
_encoder = msgspec.json.Encoder()


def _json(body: object, status: int = 200) -> Response:
    return Response(_encoder.encode(body), status, media_type="application/json")


def _error(status: int, code: Code, message: str) -> Response:
    return _json(HttpError(error=ErrorDetail(code=code, message=message)), status)


_CODES = {404: Code.NOT_FOUND, 405: Code.METHOD_NOT_ALLOWED}


async def refuse_unrouted(request: Request, exc: Exception) -> Response:
    """An unknown path or method gets the usual error body too (PROTOCOL.md §9), not plain text."""
    assert isinstance(exc, HTTPException)
    where = f"{request.method} {request.url.path}"
    message = exc.detail if exc.detail != http.HTTPStatus(exc.status_code).phrase else "no such endpoint"
    if exc.status_code == 405:
        message = f"{request.method} is not allowed here; allowed: {(exc.headers or {}).get('Allow', 'none')}"
    response = _error(exc.status_code, _CODES.get(exc.status_code, Code.BAD_REQUEST), f"{message} ({where})")
    response.headers.update(exc.headers or {})
    return response


async def _prefix(path: Path, size: int, chunk: int = 256 * 1024) -> AsyncIterator[bytes]:
    """The first `size` bytes of `path`, in chunks read off the event loop."""
    with path.open("rb") as f:
        while size > 0:
            data = await asyncio.to_thread(f.read, min(chunk, size))
            if not data:
                return
            size -= len(data)
            yield data


class _Line(msgspec.Struct):
    kind: str = ""
    line: str = ""


class _LogRecord(msgspec.Struct):
    type: str
    seq: int
    data: _Line | None = None


_decode_log_record = msgspec.json.Decoder(_LogRecord).decode


async def _output_lines(store: EventStore, run_id: str, head: int | None) -> AsyncIterator[bytes]:
    """The output lines of `run_id` rebuilt from its log records (up to `head` when live)."""
    cursor = 0
    while head is None or cursor < head:
        batch = [_decode_log_record(body) for body in await store.since(run_id, cursor)]
        if not batch:
            return
        cursor = batch[-1].seq
        lines = [r.data.line for r in batch if r.data and r.data.kind == "output" and (head is None or r.seq <= head)]
        yield "".join(f"{line}\n" for line in lines).encode()


def _csv_cell(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    return str(value).lower() if isinstance(value, bool) else _number(value)


def _number(value: object) -> str:
    """The shortest text that reads back as the same number: 1 for 1.0, 0.1, 1e-05."""
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def discover_tests(root: Path) -> list[str]:
    """What can be launched under `root`: each folder holding test files (the whole suite of
    it, as "folder/"), then each test file (test_*.py, *_test.py); hidden folders skipped."""
    files = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if any(part.startswith((".", "__")) for part in rel.parts[:-1]):
            continue
        if path.name.startswith("test_") or path.name.endswith("_test.py"):
            files.append(rel.as_posix())
        if len(files) >= MAX_TESTS_LISTED:
            break
    folders = sorted({f"{Path(f).parent.as_posix()}/" for f in files if "/" in f})
    return folders + files


_FILTERS = {"serial": "uut_serial", "test_path": "test_path", "status": "status", "station": "station",
            "since": "since", "until": "until"}  # fmt: skip


def _bounded_int(params: Mapping[str, str], name: str, default: int, most: int) -> int:
    """A query parameter from 0 to `most`; raises ValueError saying what arrived."""
    raw = params.get(name, str(default))
    if not raw.isdigit() or int(raw) > most:
        raise ValueError(f"{name} must be a whole number from 0 to {most}, got {raw}")
    return int(raw)


def _run_query(params: Mapping[str, str]) -> RunQuery:
    """The run list's filters from the query string; raises ValueError saying which is wrong."""
    fields: dict[str, object] = {"limit": _bounded_int(params, "limit", 200, 1000)}
    fields |= {field: params[name] for name, field in _FILTERS.items() if name in params}
    try:
        return msgspec.convert(fields, RunQuery, strict=False)
    except msgspec.ValidationError as exc:
        raise ValueError(f"invalid run filter: {in_words(exc)} (status is one of {', '.join(Status)};"
                         " since and until are ISO 8601 times with a zone)") from None  # fmt: skip


async def store_unreadable(request: Request, exc: Exception) -> Response:
    """Any route whose read of the store failed: 503, said plainly; nothing was changed."""
    return _error(503, Code.STORE_UNAVAILABLE, str(exc))


class Api:
    """The HTTP endpoints over the store and the runner."""

    def __init__(
        self, store: EventStore, runner: Runner, tests_root: Path, gate: Gate, routing: Routing | None = None
    ) -> None:
        self._store, self._runner, self._tests_root, self._gate = store, runner, tests_root, gate
        self._routing = routing  # in a fleet: requests for runs and stations of other nodes

    def routes(self) -> list[Route]:
        return [
            Route("/api/runs", self.launch, methods=["POST"]),
            Route("/api/runs", self.list_runs, methods=["GET"]),
            Route("/api/runs/{run_id}", self.get_run, methods=["GET"]),
            Route("/api/runs/{run_id}/output", self.get_output, methods=["GET"]),
            Route("/api/runs/{run_id}/tail", self.get_tail, methods=["GET"]),
            Route("/api/runs/{run_id}/abort", self.abort, methods=["POST"]),
            Route("/api/runs/{run_id}/channels", self.channels, methods=["GET"]),
            Route("/api/runs/{run_id}/channels/{channel}/samples.csv", self.samples_csv, methods=["GET"]),
            Route("/api/tests", self.tests, methods=["GET"]),
            Route("/healthz", self.healthz, methods=["GET"]),
        ]

    async def _missing(self, run_id: str) -> Response | None:
        """The 404 for a run this server never had, or None when it has it."""
        try:
            await self._store.summary(run_id)
        except UnknownRun as exc:
            return _error(404, Code.RUN_NOT_FOUND, str(exc))
        return None

    @requires(Role.OPERATOR)
    async def launch(self, request: Request) -> Response:
        if (fault := self._store.fault) is not None:
            return _error(503, Code.STORE_UNAVAILABLE, f"nothing can be launched now: {fault}")
        identity = identity_of(request)
        try:
            launch = msgspec.json.decode(await request.body(), type=LaunchBody)
            if why := launch.control_character():
                raise msgspec.ValidationError(why)
            fields = {**msgspec.structs.asdict(launch), "operator": identity.name}
            asked = LaunchRequest(**fields)
            run_id = self._runner.launch(asked) if self._routing is None else await self._routing.launch(asked)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            return _error(400, Code.BAD_REQUEST, f"invalid launch request: {in_words(exc)}")
        except InvalidTestPath as exc:
            await self._gate.audit(identity, "launch", launch.test_path, "invalid_test_path")
            return _error(400, Code.INVALID_TEST_PATH, str(exc))
        except Refused as exc:
            await self._gate.audit(identity, "launch", launch.test_path, exc.code)
            return _error(exc.status, exc.code, exc.message)
        except OSError as exc:
            return _error(503, Code.STORE_UNAVAILABLE, f"nothing was launched: the data dir refused the run's folder"
                          f" or output log ({exc.strerror or exc})")  # fmt: skip
        await self._gate.audit(identity, "launch", f"{run_id} {launch.test_path} {launch.uut_serial}")
        if (unrecorded := await self._unrecorded(run_id)) is not None:
            return _error(503, Code.STORE_UNAVAILABLE, f"the run was not started: {unrecorded}")
        return _json(Launched(run_id=run_id, live_url=f"/live/{run_id}"), 201)

    async def _unrecorded(self, run_id: str) -> str | None:
        """None once the launch's run_created is durable (its tests start then); else why they never will."""
        try:
            if await self._runner.started(run_id):
                return None
        except StoreUnavailable as exc:
            return f"its launch was not recorded: {exc}"
        fault = self._store.fault or "no commit came"
        return (f"its launch was not recorded within {RECORD_WAIT:g} s ({fault}); run {run_id} is closed as ERROR"
                " once the store commits again")  # fmt: skip

    @requires(Role.VIEWER)
    async def list_runs(self, request: Request) -> Response:
        """Runs newest first, filtered; `before=<run_id>` pages on from the last run of a page."""
        try:
            query = _run_query(request.query_params)
        except ValueError as exc:
            return _error(400, Code.BAD_REQUEST, str(exc))
        before = request.query_params.get("before")
        if before is not None:
            try:
                last = await self._store.summary(before)
            except UnknownRun as exc:
                return _error(404, Code.RUN_NOT_FOUND, f"the cursor before={before} names no run: {exc}")
            query = msgspec.structs.replace(query, before=(last.created_at, last.run_id))
        runs = await self._store.runs(query) if query.limit else []
        return _json([view(s) for s in runs])

    @requires(Role.VIEWER)
    async def get_run(self, request: Request) -> Response:
        try:
            return _json(view(await self._store.summary(request.path_params["run_id"])))
        except UnknownRun as exc:
            return _error(404, Code.RUN_NOT_FOUND, str(exc))

    @requires(Role.VIEWER)
    async def get_output(self, request: Request) -> Response:
        run_id = request.path_params["run_id"]
        if (missing := await self._missing(run_id)) is not None:
            return missing
        path = self._runner.log_path(run_id)
        disposition = {"Content-Disposition": f'attachment; filename="{run_id}.log"'}
        if not path.exists():  # a run of another node of the fleet: its output records are the log
            lines = _output_lines(self._store, run_id, self._store.committed_head(run_id))
            return StreamingResponse(lines, media_type="text/plain; charset=utf-8", headers=disposition)
        # A live run's log grows while it is sent: send exactly what it held when asked.
        size = path.stat().st_size
        headers = {"Content-Length": str(size), **disposition}
        return StreamingResponse(_prefix(path, size), media_type="text/plain; charset=utf-8", headers=headers)

    @requires(Role.VIEWER)
    async def get_tail(self, request: Request) -> Response:
        """The last lines of a live run's output, from the runner's memory (no disk, no log)."""
        run_id = request.path_params["run_id"]
        try:
            lines = _bounded_int(request.query_params, "lines", 100, TAIL_LINES)
        except ValueError as exc:
            return _error(400, Code.BAD_REQUEST, str(exc))
        if (missing := await self._missing(run_id)) is not None:
            return missing
        tail = self._runner.tail(run_id)
        if tail is None and self._routing is not None:  # a live run of another station of the fleet
            tail = await self._routing.tail(run_id)
        if tail is None:
            return _error(409, Code.RUN_NOT_LIVE, f"run {run_id} is not live here; its full log is at /output")
        kept = tail[len(tail) - lines :] if lines else []
        return _json(Tail(run_id=run_id, lines=[TailLine(stream=s, line=t) for s, t in kept]))

    @requires(Role.OPERATOR)
    async def abort(self, request: Request) -> Response:
        run_id, identity = request.path_params["run_id"], identity_of(request)
        try:
            summary = await self._store.summary(run_id)
        except UnknownRun as exc:
            return _error(404, Code.RUN_NOT_FOUND, str(exc))
        if summary.is_live and not self._runner.is_live(run_id) and self._routing is not None:
            return await self._abort_elsewhere(run_id, identity)
        if not summary.is_live or not self._runner.is_live(run_id):
            return _error(409, Code.RUN_NOT_LIVE, f"run {run_id} is {summary.status}; only a live run can be aborted")
        if (fault := self._store.fault) is not None:
            return _error(503, Code.STORE_UNAVAILABLE, f"the abort was not recorded, so nothing was done: {fault}")
        await self._gate.audit(identity, "abort", run_id)
        return await self._abort(run_id, identity.name)

    async def _abort(self, run_id: str, who: str) -> Response:
        """The 202 once the abort is committed and the test process signalled; 503 while it waits."""
        try:
            await asyncio.wait_for(self._runner.abort(run_id, by=who), RECORD_WAIT)
        except TimeoutError:
            why = self._store.fault or f"no commit within {RECORD_WAIT:g} s"
            return _error(503, Code.STORE_UNAVAILABLE, "the abort waits for the store: it is held in memory, not yet"
                          f" in the log, and the run is interrupted once it is committed ({why})")  # fmt: skip
        except StoreUnavailable as exc:
            return _error(503, Code.STORE_UNAVAILABLE, f"the abort was not recorded, so nothing was done: {exc}")
        except NotLive as exc:
            return _error(409, Code.RUN_NOT_LIVE, f"{exc}; only a live run can be aborted")
        return _json(Aborting(run_id=run_id), 202)

    async def _abort_elsewhere(self, run_id: str, identity: Identity) -> Response:
        """A live run of another station of the fleet: that station aborts it."""
        assert self._routing is not None
        try:
            await self._routing.abort(run_id, by=identity.name)
        except Refused as exc:
            await self._gate.audit(identity, "abort", run_id, exc.code)
            return _error(exc.status, exc.code, exc.message)
        await self._gate.audit(identity, "abort", run_id)
        return _json(Aborting(run_id=run_id), 202)

    @requires(Role.VIEWER)
    async def channels(self, request: Request) -> Response:
        run_id = request.path_params["run_id"]
        if (missing := await self._missing(run_id)) is not None:
            return missing
        return _json(ChannelCounts(run_id=run_id, samples=await self._store.sample_counts(run_id)))

    @requires(Role.VIEWER)
    async def samples_csv(self, request: Request) -> Response:
        run_id, channel = request.path_params["run_id"], request.path_params["channel"]
        if (missing := await self._missing(run_id)) is not None:
            return missing
        rows = await self._store.samples(run_id, channel)
        if not rows:
            return _error(404, Code.CHANNEL_NOT_FOUND, f"run {run_id} has no readings of channel {channel}")
        lines = ["t,value", *(f"{t!r},{_csv_cell(v)}" for t, v in rows)]
        return Response("\n".join(lines) + "\n", media_type="text/csv; charset=utf-8")

    @requires(Role.VIEWER)
    async def tests(self, request: Request) -> Response:
        station = request.query_params.get("station")
        if station and self._routing is not None and station != self._routing.node:
            try:
                found = await self._routing.station(station)
            except Refused as exc:
                return _error(exc.status, exc.code, exc.message)
            return _json(TestList(root=found.tests_root or "", tests=found.tests))
        return _json(TestList(root=str(self._tests_root), tests=discover_tests(self._tests_root)))

    @public
    async def healthz(self, request: Request) -> Response:
        """200 while the store commits; 503 with the reason in words while it cannot."""
        live = len(self._store.live_runs())
        if (fault := self._store.fault) is not None:
            return _json(Health(status="store_unavailable", reason=fault, live_runs=live), 503)
        return _json(Health(status="ok", live_runs=live))
