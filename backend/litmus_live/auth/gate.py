"""The Gate: what the edge asks about a request or connection. Is its Host one of ours, its
Origin allowed, who is it (token, session cookie), and may that credential still be used.

api.py's middleware and session.py ask it once per request or connection; open connections
register here so that revoking a credential closes them at once (`recheck`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from litmus_live.auth import credentials
from litmus_live.auth.identity import Identity, Kind, Role
from litmus_live.auth.limits import Limits
from litmus_live.auth.refusals import Refusals
from litmus_live.auth.store import AuditEntry, IdentityStore
from litmus_live.events import utcnow
from litmus_live.settings import Settings

log = logging.getLogger(__name__)
COOKIE = "litmus_session"
LINK_LIFETIME = 24 * 3600.0  # seconds a one-time sign-in link stays good
_TOKEN_USE_EVERY = 60.0  # one token_use audit entry per token per minute at most
NOBODY = Identity(name="anonymous", role=Role.ADMIN, kind=Kind.LOCAL)  # --auth off


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class Gate:
    def __init__(self, store: IdentityStore, settings: Settings) -> None:
        urls = settings.own_urls()
        self.store = store
        self.is_auth_on = settings.auth
        self.own_origins = frozenset(origin_of(u) for u in urls)
        self.extra_origins = frozenset(o.rstrip("/").lower() for o in settings.allowed_origins)
        self.hosts = frozenset(urlsplit(u).netloc.lower() for u in urls) | {h.lower() for h in settings.allowed_hosts}
        self.is_secure = all(u.startswith("https://") for u in urls)
        self.public_url = urls[0]
        self.limits = Limits(
            max_connections=settings.max_connections,
            request_rate=settings.request_rate,
            message_rate=settings.message_rate,
        )
        self.refusals = Refusals(store)
        self._watched: dict[object, tuple[str, Callable[[], None]]] = {}
        self._links: dict[str, tuple[str, float]] = {}
        self._token_used: dict[str, float] = {}
        # argon2id takes ~0.1 s and 64 MiB per check: a flood of sign-ins waits here in line
        self._hashing = asyncio.Semaphore(2)

    # -- where a request comes from ------------------------------------------------------

    def is_host_allowed(self, host: str | None) -> bool:
        """DNS rebinding gives a hostile page our address under its own name: only names we
        know are served, whatever the Origin says."""
        return "*" in self.hosts or (host or "").lower() in self.hosts

    def is_own_origin(self, origin: str) -> bool:
        return origin.rstrip("/").lower() in self.own_origins

    def is_origin_allowed(self, origin: str) -> bool:
        """This server's own origins and the configured ones; never derived from the request."""
        origin = origin.rstrip("/").lower()
        return origin in self.own_origins or origin in self.extra_origins or "*" in self.extra_origins

    # -- who is asking -------------------------------------------------------------------

    async def identify(self, headers: Mapping[str, str], cookies: Mapping[str, str]) -> Identity | None:
        """The identity of a bearer token, else of a session cookie; None for neither (or bad)."""
        if not self.is_auth_on:
            return NOBODY
        scheme, _, secret = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and secret:
            identity = await self.store.by_token(credentials.digest(secret.strip()))
            if identity is not None:
                await self._token_use(identity)
            return identity
        if COOKIE in cookies:
            return await self.store.by_session(credentials.digest(cookies[COOKIE]))
        return None

    async def _token_use(self, identity: Identity) -> None:
        now = time.monotonic()
        if now - self._token_used.get(identity.secret_hash, -_TOKEN_USE_EVERY) >= _TOKEN_USE_EVERY:
            self._token_used[identity.secret_hash] = now
            await self.audit(identity, "token_use")

    async def sign_in(self, name: str, password: str) -> tuple[str, Identity] | None:
        """A new session for `name` if the password is right; its secret goes in the cookie."""
        found = await self.store.password_hash(name)
        stored = found[1] if found else None
        async with self._hashing:
            is_right = await asyncio.to_thread(credentials.is_password, password, stored)
        if not is_right or found is None:
            return None  # the edge records the refusal
        return await self._new_session(name, found[0], "sign_in")

    async def _new_session(self, name: str, role: Role, action: str) -> tuple[str, Identity]:
        secret = credentials.new_session()
        await self.store.add_session(credentials.digest(secret), name)
        identity = Identity(name=name, role=role, kind=Kind.SESSION, secret_hash=credentials.digest(secret))
        await self.audit(identity, action)
        return secret, identity

    async def sign_out(self, identity: Identity) -> None:
        if identity.kind is Kind.SESSION:
            await self.store.end_session(identity.secret_hash)
            await self.audit(identity, "sign_out")
            await self.recheck()

    def mint_link(self, user: str) -> str:
        """A one-time sign-in code for `user` (the first admin), good for LINK_LIFETIME."""
        code = credentials.new_session()
        self._links[credentials.digest(code)] = (user, time.monotonic() + LINK_LIFETIME)
        return code

    async def redeem_link(self, code: str) -> tuple[str, Identity] | None:
        user, until = self._links.pop(credentials.digest(code), ("", 0.0))
        found = await self.store.password_hash(user) if user and time.monotonic() < until else None
        if found is None:
            return None
        return await self._new_session(user, found[0], "sign_in_link")

    # -- open connections ----------------------------------------------------------------

    def watch(self, key: object, identity: Identity, on_revoked: Callable[[], None]) -> None:
        if identity.secret_hash:
            self._watched[key] = (identity.secret_hash, on_revoked)

    def unwatch(self, key: object) -> None:
        self._watched.pop(key, None)

    async def recheck(self) -> None:
        """Close every open connection whose credential was revoked, removed or has expired."""
        held = {secret for secret, _ in self._watched.values()}
        valid = await self.store.still_valid(held)
        for key, (secret, on_revoked) in list(self._watched.items()):
            if secret not in valid:
                del self._watched[key]
                on_revoked()

    # -- the record ----------------------------------------------------------------------

    async def audit(self, identity: Identity, action: str, target: str = "", outcome: str = "ok") -> None:
        at: dt.datetime = utcnow()
        await self.store.record(
            AuditEntry(at=at, who=identity.name, via=identity.via.value, action=action, target=target, outcome=outcome)
        )
