"""HTTP routes an admin manages people and tokens with (JSON); the same checks and audit as the
CLI (accounts.py), under the admin's own name. A change closes the open connections it ends.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable
from typing import Annotated, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from litmus_live.auth.accounts import AccountRefused, Accounts, Why
from litmus_live.auth.edge import Refusal, identity_of, requires
from litmus_live.auth.gate import Gate
from litmus_live.auth.identity import Role
from litmus_live.auth.store import User
from litmus_live.protocol import in_words

_Name = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
_Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
_T = TypeVar("_T")
_STATUS = {Why.BAD_REQUEST: 400, Why.NOT_FOUND: 404, Why.CONFLICT: 409}


class NewUser(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: _Name
    role: Role
    password: _Password


class UserChange(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    role: Role | None = None
    password: _Password | None = None


class NewToken(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: _Name
    role: Role


class IssuedToken(msgspec.Struct, frozen=True, kw_only=True):
    """The only time a token's secret is shown."""

    name: str
    role: Role
    token: str
    created_at: dt.datetime


def _refusal(refused: AccountRefused) -> Refusal:
    return Refusal(_STATUS[refused.why], refused.why.value, refused.message)


def _json(body: object, status: int = 200) -> Response:
    return Response(msgspec.json.encode(body), status, media_type="application/json")


async def _body(request: Request, kind: type[_T], shape: str) -> _T:
    try:
        return msgspec.json.decode(await request.body(), type=kind)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise Refusal(400, "bad_request", f"expected {shape}: {in_words(exc)}") from None


class AdminRoutes:
    def __init__(self, gate: Gate) -> None:
        self._gate = gate

    def routes(self) -> list[Route]:
        return [
            Route("/api/users", self.users, methods=["GET"]),
            Route("/api/users", self.add_user, methods=["POST"]),
            Route("/api/users/{name}", self.change_user, methods=["PATCH"]),
            Route("/api/users/{name}", self.remove_user, methods=["DELETE"]),
            Route("/api/tokens", self.tokens, methods=["GET"]),
            Route("/api/tokens", self.create_token, methods=["POST"]),
            Route("/api/tokens/{name}", self.revoke_token, methods=["DELETE"]),
        ]

    def _accounts(self, request: Request) -> Accounts:
        admin = identity_of(request)
        return Accounts(self._gate.store, who=admin.name, via=admin.via.value)

    async def _change(self, change: Awaitable[None], response: Response) -> Response:
        """Make one change, then close the connections it ended; its refusal as the usual body."""
        try:
            await change
        except AccountRefused as refused:
            raise _refusal(refused) from None
        await self._gate.recheck()
        return response

    async def _user(self, name: str) -> User:
        return next(u for u in await self._gate.store.users() if u.name == name)

    @requires(Role.ADMIN)
    async def users(self, request: Request) -> Response:
        return _json(await self._gate.store.users())

    @requires(Role.ADMIN)
    async def add_user(self, request: Request) -> Response:
        new = await _body(request, NewUser, '{"name": …, "role": "viewer|operator|admin", "password": …}')
        await self._change(self._accounts(request).add_user(new.name, new.role, new.password), Response())
        return _json(await self._user(new.name), 201)

    @requires(Role.ADMIN)
    async def change_user(self, request: Request) -> Response:
        name, accounts = request.path_params["name"], self._accounts(request)
        change = await _body(request, UserChange, '{"role": "viewer|operator|admin"} and/or {"password": …}')
        if change.role is None and change.password is None:
            raise Refusal(400, "bad_request", 'expected "role" or "password"; the body had neither')
        if change.role is not None:
            await self._change(accounts.set_role(name, change.role), Response())
        if change.password is not None:
            await self._change(accounts.set_password(name, change.password), Response())
        return _json(await self._user(name))

    @requires(Role.ADMIN)
    async def remove_user(self, request: Request) -> Response:
        return await self._change(self._accounts(request).remove_user(request.path_params["name"]), Response(None, 204))

    @requires(Role.ADMIN)
    async def tokens(self, request: Request) -> Response:
        return _json(await self._gate.store.tokens())

    @requires(Role.ADMIN)
    async def create_token(self, request: Request) -> Response:
        new = await _body(request, NewToken, '{"name": …, "role": "viewer|operator|admin"}')
        try:
            secret = await self._accounts(request).create_token(new.name, new.role)
        except AccountRefused as refused:
            raise _refusal(refused) from None
        made = next(t for t in await self._gate.store.tokens() if t.name == new.name)
        return _json(IssuedToken(name=new.name, role=new.role, token=secret, created_at=made.created_at), 201)

    @requires(Role.ADMIN)
    async def revoke_token(self, request: Request) -> Response:
        name = request.path_params["name"]
        return await self._change(self._accounts(request).revoke_token(name), Response(None, 204))
