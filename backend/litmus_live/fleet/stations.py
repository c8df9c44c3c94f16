"""The fleet's nodes: each registers with a heartbeat in Redis; `GET /api/stations` lists them.

Every node beats every `heartbeat` seconds and, on the same beat, looks for nodes silent for
LAPSE beats: their live runs are closed by the first node that wins them in Redis (owner
compare-and-set), truthfully — open prompts withdrawn, then ERROR with the reason in words.
A station that comes back under its name closes what is still its own the same way (store
open). Fed by the store's Redis client; feeds the API's stations list and launch routing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

import msgspec
import redis

from litmus_live.events import Complete, Event, PromptResolved, Resolution, Status, utcnow
from litmus_live.store.redis import LIVE, RedisStore

log = logging.getLogger(__name__)
STATIONS = "litmus:stations"
LAPSE = 5  # heartbeats a node may miss before it counts as gone
# A live run changes hands only if it is still the silent node's: one node closes it.
_TAKE_OVER = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]); return 1
end
return 0
"""


class Station(msgspec.Struct, kw_only=True):
    name: str
    runs_tests: bool
    tests_root: str | None = None
    tests: list[str] = msgspec.field(default_factory=list)
    live_runs: int = 0
    last_seen: dt.datetime
    online: bool = True


_decode_station = msgspec.json.Decoder(Station).decode


class Stations:
    def __init__(
        self,
        store: RedisStore,
        *,
        node: str,
        heartbeat: float,
        describe: Callable[[], Station],
        withdraw_decision: Callable[[str, str, PromptResolved], None],
    ) -> None:
        self._store, self._client = store, store.client
        self.node = node
        self._heartbeat = heartbeat
        self._describe = describe
        self._withdraw_decision = withdraw_decision
        self._take_over = self._client.register_script(_TAKE_OVER)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._beat_forever(), name="fleet-heartbeat")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def listed(self) -> list[Station]:
        """Every node that ever beat, with whether it is online now."""
        raw = await asyncio.to_thread(self._client.hgetall, STATIONS)
        now = utcnow()
        out = []
        for body in raw.values():
            station = _decode_station(body)
            station.online = self._is_online(station, now)
            out.append(station)
        return sorted(out, key=lambda s: s.name)

    async def find(self, name: str) -> Station | None:
        return next((s for s in await self.listed() if s.name == name), None)

    def _is_online(self, station: Station, now: dt.datetime) -> bool:
        return (now - station.last_seen).total_seconds() <= LAPSE * self._heartbeat

    async def _beat_forever(self) -> None:
        while True:
            try:
                await self.beat()
            except redis.RedisError as exc:
                log.warning("heartbeat failed: %s: %s", type(exc).__name__, exc)
            except Exception:  # a bug must not stop the heartbeat (the node would look dead): log it
                log.exception("heartbeat failed")
            await asyncio.sleep(self._heartbeat)

    async def beat(self) -> None:
        """Say this node is alive, refresh the view of the fleet, close what lapsed nodes left."""
        me = msgspec.structs.replace(self._describe(), last_seen=utcnow())
        await asyncio.to_thread(self._client.hset, STATIONS, self.node, msgspec.json.encode(me))
        await self._store.follower.reconcile()
        for station in await self.listed():
            if not station.online and station.name != self.node:
                await self._close_runs_of(station)

    async def _close_runs_of(self, station: Station) -> None:
        owners = await asyncio.to_thread(self._client.hgetall, LIVE)
        for run, owner in owners.items():
            if owner.decode() != station.name:
                continue
            won = await asyncio.to_thread(self._take_over, keys=[LIVE], args=[run, owner, self.node])
            if won:
                await self._close(run.decode(), station)

    async def _close(self, run_id: str, station: Station) -> None:
        summary = await self._store._read(self._store._io_summary, run_id)
        if summary is None or not summary.is_live:
            return
        silent = (utcnow() - station.last_seen).total_seconds()
        reason = (
            f"station {station.name} went silent during the run (no heartbeat for {silent:.0f} s);"
            f" closed by {self.node}"
        )
        log.warning("closing run %s of %s: %s", run_id, station.name, reason)
        self._store.adopt(summary)
        for prompt_id in list(summary.open_prompts):
            data = PromptResolved(prompt_id=prompt_id, resolution=Resolution.WITHDRAWN, reason=reason)
            self._withdraw_decision(run_id, prompt_id, data)
            self._store.append(Event(run_id=run_id, ts=utcnow(), data=data))
        self._store.append(Complete(run_id=run_id, ts=utcnow(), status=Status.ERROR, exit_code=None, reason=reason))
        await self._store.flush()
