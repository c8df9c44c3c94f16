"""create_app(settings): the one place that wires runner -> store -> hub -> session together."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from litmus_live import api, channels
from litmus_live.auth import Gate, first_start, local, open_identity
from litmus_live.auth.admin import AdminRoutes
from litmus_live.auth.edge import Edge, public
from litmus_live.auth.routes import IdentityRoutes
from litmus_live.auth.store import IdentityUnavailable
from litmus_live.channels import ChannelBoard
from litmus_live.fleet.node import node_name, open_node
from litmus_live.hub import Hub
from litmus_live.runner import Runner
from litmus_live.session import Session
from litmus_live.settings import Settings
from litmus_live.store import StoreUnreadable
from litmus_live.store.base import OPEN_CLOSE_WAIT

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> Starlette:
    node = open_node(settings)
    store = node.store

    async def channel_snapshot(run_id: str) -> bytes | None:
        found = board.snapshot(run_id) or await store.channel_snapshot(run_id)
        if found is None and not runner.is_live(run_id):  # not running here: from its stored readings
            found = channels.rebuild(run_id, await store.sample_batches(run_id))
            if found is not None and store.committed_head(run_id) is None:  # finished: keep it
                store.save_channels(run_id, found)
        return found

    prompts = node.prompts()
    hub = Hub(store, channel_snapshot, open_prompts=node.open_prompts(prompts), audience=node.audience)
    node.hear(hub)
    board = ChannelBoard(node.channels(hub), store.append_samples, store.save_channels)
    runner = Runner(
        tests_root=settings.tests,
        data_dir=settings.data_dir,
        emit=store.append,
        durable=store.flush,
        open_prompt=prompts.open,
        withdraw_prompts=prompts.withdraw,
        readings=board,
        abort_grace=settings.abort_grace,
        python=settings.python,
    )
    store.on_fault(hub.store_fault)
    store.on_overflow(runner.stop_all)

    identity = open_identity(settings.store, settings.data_dir)
    gate = Gate(identity, settings)
    answer = node.wire(prompts, runner)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await store.open()
        try:  # a full disk must not keep the server from starting: it serves, and says why it cannot commit
            await local.issue(identity, settings.data_dir, node=node_name(settings))
            if settings.auth:
                await first_start.offer_sign_in_link(identity, gate)
        except (IdentityUnavailable, OSError) as exc:
            log.error("the local credential was not renewed (a previous one still works): %s", exc)
        changes = await identity.listen(gate.recheck)
        await node.start()
        yield
        changes.close()
        await runner.shutdown()
        await node.stop()
        await store.close()
        identity.close()

    async def websocket(ws: WebSocket) -> None:
        session = Session(ws, hub, answer, gate, send_timeout=settings.send_timeout)
        await session.run()

    routes = [
        *api.Api(store, runner, settings.tests, gate, node.routing).routes(),
        *node.routes(),
        *IdentityRoutes(gate).routes(),
        *AdminRoutes(gate).routes(),
        WebSocketRoute("/ws", websocket),
        _protocol_route(settings.protocol_dir),
    ]
    routes += (
        _spa_routes(settings.static_dir) if settings.static_dir is not None else [Route("/live/{run_id}", _no_spa)]
    )

    async def before_stop() -> None:
        """A graceful stop, before any client is disconnected: live runs end ERROR, committed."""
        stopped = runner.close_live()
        # a full disk must not hold the stop: what cannot be committed is lost, and the runs are
        # closed the same way when the server starts again
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(store.flush(), OPEN_CLOSE_WAIT)
        await hub.settle(stopped)

    middleware = [Middleware(Edge, gate=gate)]
    handlers = {
        StoreUnreadable: api.store_unreadable,
        IdentityUnavailable: _identity_unavailable,
        HTTPException: api.refuse_unrouted,
        **node.handlers,
    }
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware, exception_handlers=handlers)
    app.state.store, app.state.hub, app.state.runner = store, hub, runner
    app.state.before_stop = before_stop
    return app


async def _identity_unavailable(request: Request, exc: Exception) -> Response:
    """A sign-in or an admin change the disk refused: 503 saying so, never a 500."""
    body = {"error": {"code": "store_unavailable", "message": str(exc)}}
    return JSONResponse(body, 503)


def _protocol_route(protocol_dir: Path) -> Route:
    """PROTOCOL.md and its companions: public, like the source tree they come from, so a client
    can be written before anyone holds a token (they say nothing about runs)."""
    files = StaticFiles(directory=protocol_dir, check_dir=False)

    @public
    async def document(request: Request) -> Response:
        return await files.get_response(request.path_params["name"], request.scope)

    return Route("/protocol/{name:path}", document, methods=["GET", "HEAD"])


@public
async def _no_spa(request: Request) -> Response:
    """A launch's live_url on a server with no SPA to serve: where to follow the run instead."""
    run_id = html.escape(request.path_params["run_id"])
    body = (
        f"<!doctype html><title>Run {run_id}</title><p>This server serves no web app (start it with --static-dir)."
        f" Follow run {run_id} over the WebSocket protocol at <code>/ws</code>"
        f' (<a href="/protocol/PROTOCOL.md">PROTOCOL.md</a>) or at <a href="/api/runs/{run_id}">/api/runs/{run_id}</a>.'
    )
    return HTMLResponse(body)


def _spa_routes(static_dir: Path) -> list[Route | Mount]:
    """The built SPA: its assets, and index.html for every client route (/live/..., /results)."""
    index = static_dir / "index.html"

    async def spa(request: Request) -> Response:
        if request.url.path.startswith(("/api/", "/ws")):
            raise HTTPException(404, f"no such endpoint: {request.url.path}")
        if not index.exists():
            raise HTTPException(404, f"the frontend is not built ({index} is missing)")
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    return [
        Mount("/assets", app=StaticFiles(directory=static_dir / "assets", check_dir=False), name="assets"),
        Route("/", spa),
        Route("/{path:path}", spa),
    ]
