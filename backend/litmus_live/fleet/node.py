"""A node of the fleet, as create_app sees it: the fleet's nouns (inbox, prompt decisions, audience,
stations, routing) wired around its Redis store, beside `Alone` for a server on its own.

Both answer the same few questions, so create_app has no fleet branches: who decides a
prompt's answer, what else is served, what starts and stops with the server.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable

import redis
from starlette.routing import Route

from litmus_live import api
from litmus_live.events import Prompt, utcnow
from litmus_live.fleet.audience import Audience
from litmus_live.fleet.decisions import DECISION_KIND, Decisions
from litmus_live.fleet.inbox import Inbox
from litmus_live.fleet.routing import ABORT, LAUNCH, Routing
from litmus_live.fleet.stations import Station, Stations
from litmus_live.hub import Hub
from litmus_live.prompts import Prompts
from litmus_live.runner import Runner
from litmus_live.settings import Settings
from litmus_live.store import EventStore, SqliteStore
from litmus_live.store.redis import RedisStore


def node_name(settings: Settings) -> str:
    return settings.station or f"viewer@{socket.gethostname()}:{settings.port}"


def open_node(settings: Settings) -> Alone | FleetNode:
    """This server's place: alone on SQLite in its data dir, or a node of the fleet on --store."""
    limits = {
        "max_pending_bytes": settings.max_pending_mib * 2**20,
        "max_outage": settings.max_outage,
        "commit_interval": settings.commit_interval,
        "commit_window": settings.commit_window,
    }
    if settings.store:
        store = RedisStore(settings.store, node=node_name(settings), **limits)
        return FleetNode(settings, store)
    sqlite = SqliteStore(settings.db_path, durable=settings.durable, **limits)
    return Alone(sqlite)


class Alone:
    """One server on its own store: prompts are decided here, nothing more is served."""

    routing: Routing | None = None
    handlers: dict = {}

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def prompts(self) -> Prompts:
        return Prompts(self.store.append, self.store.flush)  # the first answer here wins

    def wire(self, prompts: Prompts, runner: Runner) -> Callable[..., Awaitable[object]]:
        return prompts.answer

    def open_prompts(self, prompts: Prompts) -> Callable[[str], list[Prompt]]:
        return prompts.open_records

    def channels(self, hub: Hub) -> Callable[[str, bytes], None]:
        return hub.publish_state

    def audience(self, run_id: str, here: int) -> int:
        return here  # every watcher is here

    def hear(self, hub: Hub) -> None:
        """What the store tells of its runs reaches the hub: each commit."""
        self.store.on_commit(hub.notify)

    def routes(self) -> list[Route]:
        return []

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


class FleetNode:
    """A node on the fleet's Redis: answers decided in Redis, launches routed, a heartbeat."""

    def __init__(self, settings: Settings, store: RedisStore) -> None:
        self.settings, self.store = settings, store
        self.inbox = Inbox(store, store.node)
        self._audience = Audience(store, node=store.node)
        self.routing: Routing | None = None
        self.decisions: Decisions
        self.stations: Stations
        self.handlers = {redis.RedisError: Routing.store_unavailable}

    def prompts(self) -> Prompts:
        return Prompts(self.store.append, self.store.flush, self._claim)  # one decision in Redis

    def open_prompts(self, prompts: Prompts) -> Callable[[str], list[Prompt]]:
        """A run's open prompt records: ours from memory, another station's as Redis has them."""
        return lambda run_id: prompts.open_records(run_id) or self.store.follower.open_prompts(run_id)

    def channels(self, hub: Hub) -> Callable[[str, bytes], None]:
        """Channel deltas go to this node's viewers and to every node that follows the run."""
        self.store.follower.on_state = hub.publish_state

        def publish(run_id: str, frame: bytes) -> None:
            hub.publish_state(run_id, frame)
            self.store.share_state(run_id, frame)

        return publish

    def hear(self, hub: Hub) -> None:
        """What the store tells of its runs reaches the hub: each commit (this node's, or one
        the follower read), and a run's log given a new epoch by any node (its viewers resync); the
        follower reads a watched run no more often than the hub wakes its watchers."""
        self.store.on_commit(hub.notify)
        self.store.follower.on_epoch = hub.epoch_changed
        self.store.follower.pace = hub.wake_spacing

    def audience(self, run_id: str, here: int) -> int:
        """A run's watchers on every node of the fleet, `here` of them on this one."""
        return self._audience.count(run_id, here)

    def _claim(self, *args):  # bound once prompts and decisions both exist
        return self.decisions.claim(*args)

    def wire(self, prompts: Prompts, runner: Runner) -> Callable[..., Awaitable[object]]:
        """Decisions, stations and routing over `prompts` and `runner`; the answer entry point."""
        store, runs_tests = self.store, bool(self.settings.station)
        self.decisions = Decisions(store, prompts, self.inbox)
        self.stations = Stations(store, node=store.node, heartbeat=self.settings.heartbeat,
                                 describe=self._describe, withdraw_decision=self.decisions.withdraw)  # fmt: skip
        routing = Routing(node=store.node, runs_tests=runs_tests, runner=runner, store=store,
                          stations=self.stations, inbox=self.inbox)  # fmt: skip
        handlers = {DECISION_KIND: self.decisions.on_decision}
        if runs_tests:
            handlers |= {LAUNCH: routing.on_launch, ABORT: routing.on_abort}
        self.inbox.serve(handlers)
        store.on_fenced = routing.stop
        self.routing = routing
        return self.decisions.answer

    def _describe(self) -> Station:
        s, runs_tests = self.settings, bool(self.settings.station)
        return Station(
            name=self.store.node, runs_tests=runs_tests, tests_root=str(s.tests.resolve()) if runs_tests else None,
            tests=api.discover_tests(s.tests) if runs_tests else [], live_runs=len(self.store.local_runs()),
            last_seen=utcnow(),
        )  # fmt: skip

    def routes(self) -> list[Route]:
        assert self.routing is not None
        return self.routing.routes()

    async def start(self) -> None:
        await self.stations.beat()
        self.stations.start()

    async def stop(self) -> None:
        await self.stations.stop()
        self._audience.stop()
