"""The HTTP edge, as ASGI middleware in front of every route: the Host allow-list, per-client
request rate, CORS for allow-listed origins, Origin and Content-Type checks on every request
that changes state, the body cap enforced while reading, and the caller's identity.

Routes then declare the role they need (`requires`); the identity travels in the scope.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import msgspec
from starlette.datastructures import Headers
from starlette.requests import Request, cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from litmus_live.auth.gate import Gate
from litmus_live.auth.identity import Identity, Role
from litmus_live.auth.store import IdentityUnavailable

MAX_BODY = 64 * 1024
# refusals the audit log keeps (bounded, see refusals.py); a plain anonymous 401 is not an attempt
_AUDITED = {"bad_credentials", "unauthorized", "forbidden", "origin_forbidden", "host_forbidden"}
_SAFE = {"GET", "HEAD", "OPTIONS"}
_encode = msgspec.json.encode


class Refusal(Exception):
    """A request turned away; `who` and `action` name the attempt in the audit log, if known."""

    def __init__(self, status: int, code: str, message: str, *, who: str = "", action: str = "request") -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.who, self.action = who, action

    def response(self, headers: dict[str, str] | None = None) -> Response:
        body = _encode({"error": {"code": self.code, "message": self.message}})
        if self.status == 429:  # the bucket refills continuously: one second always suffices
            headers = {**(headers or {}), "Retry-After": "1"}
        return Response(body, self.status, headers=headers, media_type="application/json")


def _named(host: str | None) -> str:
    """A Host header as a message names it: its text in JSON quotes, or that it is missing."""
    return "(none sent)" if host is None else json.dumps(host, ensure_ascii=False)


class _TooLarge(Exception):
    pass


class Edge:
    def __init__(self, app: ASGIApp, gate: Gate) -> None:
        self.app, self.gate = app, gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cors = self._cors_headers(headers)
        try:
            self._check(scope, headers)
            if scope["method"] == "OPTIONS" and "origin" in headers:
                await self._preflight(headers, cors)(scope, receive, send)
                return
            scope["identity"] = await self._identify(scope, headers)
        except Refusal as refusal:
            await (await self._refuse(scope, headers, refusal, cors))(scope, receive, send)
            return
        await self._pass(scope, receive, send, cors)

    async def _refuse(self, scope: Scope, headers: Headers, refusal: Refusal, cors: dict[str, str]) -> Response:
        """The refusal's response, once the attempt is in the audit log."""
        identity: Identity | None = scope.get("identity")
        has_credential = "authorization" in headers or "cookie" in headers
        if refusal.code in _AUDITED and (identity is not None or refusal.code != "unauthorized" or has_credential):
            is_token = headers.get("authorization", "").lower().startswith("bearer ")
            await self.gate.refusals.record(
                who=refusal.who or (identity.name if identity else "unknown"),
                via=identity.via.value if identity else ("script" if is_token else "ui"),
                action=refusal.action,
                target=f"{scope['method']} {scope['path']}",
                code=refusal.code,
                client=scope["client"][0] if scope.get("client") else "unknown",
            )
        return refusal.response(cors)

    async def _identify(self, scope: Scope, headers: Headers) -> Identity | None:
        """The caller; None (with the reason kept for `requires`) while credentials cannot be
        checked, so that public routes such as /healthz still answer."""
        try:
            return await self.gate.identify(headers, cookie_parser(headers.get("cookie", "")))
        except IdentityUnavailable as exc:
            scope["identity_fault"] = f"credentials cannot be checked now: {exc}"
            return None

    def _check(self, scope: Scope, headers: Headers) -> None:
        if not self.gate.is_host_allowed(headers.get("host")):
            raise Refusal(
                403,
                "host_forbidden",
                f"this server does not answer to the host {_named(headers.get('host'))}; "
                f"it answers to {', '.join(sorted(self.gate.hosts))}",
            )
        client = scope["client"][0] if scope.get("client") else "unknown"
        if not self.gate.limits.request(client):
            raise Refusal(
                429,
                "rate_limited",
                f"more than {self.gate.limits.request_rate:g} requests per second from {client}; slow down",
            )
        if scope["method"] not in _SAFE:
            self._check_origin(headers)
            self._check_body(headers)

    def _check_origin(self, headers: Headers) -> None:
        """A browser names the page that sent a request: it must be ours, or an allow-listed
        origin that sends a token (a cookie never authorises another site's page)."""
        origin = headers.get("origin")
        if origin is None and "referer" in headers:
            parts = urlsplit(headers["referer"])
            origin = f"{parts.scheme}://{parts.netloc}"
        if origin is None or self.gate.is_own_origin(origin):
            return
        if self.gate.is_origin_allowed(origin) and headers.get("authorization", "").lower().startswith("bearer "):
            return
        raise Refusal(
            403,
            "origin_forbidden",
            f"a request from {origin} may not change anything here; "
            f"expected one of {', '.join(sorted(self.gate.own_origins))}",
        )

    @staticmethod
    def _check_body(headers: Headers) -> None:
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
        if kind != "application/json" and (kind or has_body):
            raise Refusal(
                415, "unsupported_media_type", f"expected Content-Type application/json, got {kind or 'none'}"
            )
        length = headers.get("content-length", "0")
        if not length.isdigit() or int(length) > MAX_BODY:
            raise Refusal(413, "body_too_large", f"request body of {length} bytes exceeds {MAX_BODY}")

    def _cors_headers(self, headers: Headers) -> dict[str, str]:
        origin = headers.get("origin")
        if origin is None or self.gate.is_own_origin(origin) or not self.gate.is_origin_allowed(origin):
            return {}
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}

    @staticmethod
    def _preflight(headers: Headers, cors: dict[str, str]) -> Response:
        if not cors:
            raise Refusal(403, "origin_forbidden", f"origin {headers['origin']} is not allowed here")
        allow = {
            "Access-Control-Allow-Methods": "GET, POST, PATCH, DELETE",
            "Access-Control-Allow-Headers": "Authorization, Content-Type",
            "Access-Control-Max-Age": "600",
        }
        return Response(status_code=204, headers={**cors, **allow})

    async def _pass(self, scope: Scope, receive: Receive, send: Send, cors: dict[str, str]) -> None:
        """The app, reading at most MAX_BODY bytes of the body whatever the headers claimed."""
        read = 0
        started = False

        async def capped() -> Message:
            nonlocal read
            message = await receive()
            read += len(message.get("body", b""))
            if read > MAX_BODY:
                raise _TooLarge
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message["headers"], *((k.lower().encode(), v.encode()) for k, v in cors.items())]
            await send(message)

        try:
            await self.app(scope, capped, sending)
        except Refusal as refusal:  # a route's `requires`, or a route that turns the caller away
            if not started:
                await (await self._refuse(scope, Headers(scope=scope), refusal, cors))(scope, receive, send)
        except _TooLarge:
            if not started:
                await Refusal(413, "body_too_large", f"request body exceeds {MAX_BODY} bytes").response(cors)(
                    scope, receive, send
                )


def identity_of(request: Request) -> Identity:
    """The caller, as the edge established it (routes reach here only through `requires`)."""
    identity = request.scope.get("identity")
    assert identity is not None, "a route without `requires` asked for the identity"
    return identity


Handler = Callable[..., Awaitable[Response]]


def requires(role: Role) -> Callable[[Handler], Handler]:
    """The role a route needs: 401 with no valid credential, 403 when the role is short of it
    (raised as a Refusal, which the Edge records and answers)."""

    def declare(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def checked(*args: object) -> Response:
            request = args[-1]
            assert isinstance(request, Request)
            identity = request.scope.get("identity")
            if identity is None and "identity_fault" in request.scope:
                raise Refusal(503, "store_unavailable", request.scope["identity_fault"])
            if identity is None:
                raise Refusal(401, "unauthorized", "sign in, or send an API token (Authorization: Bearer)")
            if not identity.may(role):
                raise Refusal(
                    403,
                    "forbidden",
                    f"{request.method} {request.url.path} needs the {role} role; {identity.name} is {identity.role}",
                )
            return await handler(*args)

        checked.required_role = role  # type: ignore[attr-defined]
        return checked

    return declare


def public(handler: Handler) -> Handler:
    """A route anyone may call (health, sign-in, the SPA's shell)."""
    handler.required_role = None  # type: ignore[attr-defined]
    return handler
