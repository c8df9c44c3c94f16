"""HTTP routes of identity: sign in and out, who am I, the one-time sign-in link, the audit log."""

from __future__ import annotations

from typing import Annotated

import msgspec
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from litmus_live.auth.edge import Refusal, identity_of, public, requires
from litmus_live.auth.gate import COOKIE, Gate
from litmus_live.auth.identity import Identity, Role
from litmus_live.auth.store import SESSION_LIFETIME, AuditEntry
from litmus_live.events import Via
from litmus_live.protocol import in_words


class SignIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


class Me(msgspec.Struct, frozen=True, kw_only=True):
    """Who the credential of this request belongs to."""

    name: str
    role: Role
    via: Via


def _json(body: object, status: int = 200) -> Response:
    return Response(msgspec.json.encode(body), status, media_type="application/json")


def _me(identity: Identity) -> Me:
    return Me(name=identity.name, role=identity.role, via=identity.via)


class IdentityRoutes:
    def __init__(self, gate: Gate) -> None:
        self._gate = gate

    def routes(self) -> list[Route]:
        return [
            Route("/api/session", self.sign_in, methods=["POST"]),
            Route("/api/session", self.me, methods=["GET"]),
            Route("/api/session", self.sign_out, methods=["DELETE"]),
            Route("/api/session/link/{code}", self.link, methods=["GET"]),
            Route("/api/audit", self.audit, methods=["GET"]),
        ]

    def _with_cookie(self, response: Response, secret: str) -> Response:
        response.set_cookie(
            COOKIE,
            secret,
            max_age=int(SESSION_LIFETIME.total_seconds()),
            path="/",
            httponly=True,
            samesite="strict",
            secure=self._gate.is_secure,
        )
        return response

    @public
    async def sign_in(self, request: Request) -> Response:
        try:
            body = msgspec.json.decode(await request.body(), type=SignIn)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            return Refusal(400, "bad_request", f'expected {{"name": …, "password": …}}: {in_words(exc)}').response()
        signed_in = await self._gate.sign_in(body.name, body.password)
        if signed_in is None:
            raise Refusal(401, "bad_credentials", "wrong name or password", who=body.name, action="sign_in")
        secret, identity = signed_in
        return self._with_cookie(_json(_me(identity)), secret)

    @requires(Role.VIEWER)
    async def me(self, request: Request) -> Response:
        return _json(_me(identity_of(request)))

    @requires(Role.VIEWER)
    async def sign_out(self, request: Request) -> Response:
        await self._gate.sign_out(identity_of(request))
        response = Response(status_code=204)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=self._gate.is_secure)
        return response

    @public
    async def link(self, request: Request) -> Response:
        signed_in = await self._gate.redeem_link(request.path_params["code"])
        if signed_in is None:
            raise Refusal(
                401, "bad_credentials", "this sign-in link was used already, or has expired", action="sign_in_link"
            )
        return self._with_cookie(RedirectResponse("/", 303), signed_in[0])

    @requires(Role.ADMIN)
    async def audit(self, request: Request) -> Response:
        try:
            limit = min(max(int(request.query_params.get("limit", "200")), 1), 10_000)
        except ValueError:
            return Refusal(400, "bad_request", "limit must be an integer").response()
        entries: list[AuditEntry] = await self._gate.store.audit(limit)
        return _json(entries)
