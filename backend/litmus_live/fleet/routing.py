"""Launch and abort from any node: a request naming another station goes to that station's
inbox and its answer comes back; an unknown or offline station is refused at once (4xx).
Also the fleet's HTTP nouns: `GET /api/stations`, and the tests of another station."""

from __future__ import annotations

import asyncio
import logging

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from litmus_live.auth import Role
from litmus_live.auth.edge import requires
from litmus_live.events import utcnow
from litmus_live.fleet.inbox import Inbox, NoReply
from litmus_live.fleet.stations import Station, Stations
from litmus_live.live_run import TAIL_LINES
from litmus_live.runner import RECORD_WAIT, InvalidTestPath, LaunchRequest, NotLive, Runner
from litmus_live.store.redis import LIVE, RedisStore

log = logging.getLogger(__name__)
LAUNCH, ABORT = "launch", "abort"


class Refused(Exception):
    """A request the fleet cannot carry out, with the HTTP status and code to answer with."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Reply(msgspec.Struct, frozen=True, kw_only=True):
    run_id: str = ""
    status: int = 200
    code: str = ""
    message: str = ""


class AbortRequest(msgspec.Struct, frozen=True, kw_only=True):
    run_id: str
    by: str  # who asked, named in the run's `complete` reason


_decode_reply = msgspec.json.Decoder(Reply).decode
_decode_abort = msgspec.json.Decoder(AbortRequest).decode
_decode_launch = msgspec.json.Decoder(LaunchRequest).decode
_encode = msgspec.json.encode


class Routing:
    def __init__(
        self, *, node: str, runs_tests: bool, runner: Runner, store: RedisStore, stations: Stations, inbox: Inbox
    ) -> None:
        self.node, self._runs_tests = node, runs_tests
        self._runner, self._store, self._stations, self._inbox = runner, store, stations, inbox
        self._tasks: set[asyncio.Task[None]] = set()

    def routes(self) -> list[Route]:
        return [Route("/api/stations", self.list_stations, methods=["GET"])]

    @staticmethod
    async def store_unavailable(request: Request, exc: Exception) -> Response:
        """A request that needed Redis while it cannot be reached: 503, said plainly."""
        body = {"error": {"code": "store_unavailable", "message": f"the fleet's store cannot be reached: {exc}"}}
        return Response(_encode(body), 503, media_type="application/json")

    @requires(Role.VIEWER)
    async def list_stations(self, request: Request) -> Response:
        return Response(_encode(await self._stations.listed()), media_type="application/json")

    # -- the asking node -----------------------------------------------------------------

    async def launch(self, request: LaunchRequest) -> str:
        """Start `request` on its station (this node when it names none); returns the run id."""
        station = request.station or self.node
        request = msgspec.structs.replace(request, station=station)
        if station == self.node:
            if not self._runs_tests:
                raise Refused(400, "station_required", f"node {self.node} runs no tests; {await self._choices()}")
            return self._runner.launch(request)  # the API replies once its run_created is in Redis
        await self.station(station)
        reply = await self._send(station, LAUNCH, _encode(request))
        return reply.run_id

    async def abort(self, run_id: str, by: str) -> None:
        """Ask the station running `run_id` to abort it on behalf of `by`."""
        owner = await asyncio.to_thread(self._store.client.hget, LIVE, run_id)
        if owner is None:
            raise Refused(409, "run_not_live", f"run {run_id} is not live anywhere in the fleet")
        await self._send(owner.decode(), ABORT, _encode(AbortRequest(run_id=run_id, by=by)))

    async def tail(self, run_id: str) -> list[tuple[str, str]] | None:
        """The last output lines of a run live on another station, read from Redis; None when
        the run is not live."""
        if not (await self._store.summary(run_id)).is_live:
            return None
        return await self._store.last_output(run_id, TAIL_LINES)

    async def station(self, name: str) -> Station:
        """The online station called `name`; Refused (404, 409) otherwise."""
        found = await self._stations.find(name)
        if found is None or not found.runs_tests:
            raise Refused(404, "station_not_found", f"no station {name} in the fleet; {await self._choices()}")
        if not found.online:
            silent = (utcnow() - found.last_seen).total_seconds()
            last = found.last_seen.isoformat(timespec="seconds")
            why = f"station {name} is offline: no heartbeat for {silent:.0f} s (last {last})"
            raise Refused(409, "station_offline", why)
        return found

    async def _choices(self) -> str:
        online = [s.name for s in await self._stations.listed() if s.runs_tests and s.online]
        return f"stations online: {', '.join(online)}" if online else "no station is online"

    async def _send(self, station: str, kind: str, body: bytes) -> Reply:
        try:
            reply = _decode_reply(await self._inbox.send(station, kind, body))
        except NoReply as exc:
            raise Refused(504, "station_timeout", str(exc)) from None
        if reply.status >= 400:
            raise Refused(reply.status, reply.code, reply.message)
        return reply

    # -- the station ---------------------------------------------------------------------

    async def on_launch(self, body: bytes) -> bytes:
        try:
            run_id = self._runner.launch(_decode_launch(body))
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            return _encode(Reply(status=400, code="bad_request", message=f"invalid launch request: {exc}"))
        except InvalidTestPath as exc:
            return _encode(Reply(status=400, code="invalid_test_path", message=str(exc)))
        except OSError as exc:
            why = f"nothing was launched: the data dir refused the run's folder or output log ({exc.strerror or exc})"
            return _encode(Reply(status=503, code="store_unavailable", message=why))
        if not await self._runner.started(run_id):  # recorded before it acts, as on a server on its own
            why = f"the run was not started: its launch was not recorded within {RECORD_WAIT:g} s"
            return _encode(Reply(status=503, code="store_unavailable", message=why))
        return _encode(Reply(run_id=run_id, status=201))

    async def on_abort(self, body: bytes) -> bytes:
        """The 202 once the abort is recorded and the test process signalled, as on a server on its own."""
        asked = _decode_abort(body)
        try:
            await asyncio.wait_for(self._runner.abort(asked.run_id, by=asked.by), RECORD_WAIT)
        except NotLive:
            why = f"run {asked.run_id} is not live on {self.node}"
            return _encode(Reply(status=409, code="run_not_live", message=why))
        except TimeoutError:
            why = f"the abort waits for the store: not recorded within {RECORD_WAIT:g} s; it acts once it is"
            return _encode(Reply(status=503, code="store_unavailable", message=why))
        return _encode(Reply(run_id=asked.run_id, status=202))

    def stop(self, run_id: str, by: str = "the fleet") -> None:
        """Abort a run of ours in the background (asked by another node, or fenced off)."""
        task = asyncio.create_task(self._runner.abort(run_id, by=by))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and isinstance(task.exception(), NotLive):
            log.info("abort: %s", task.exception())
