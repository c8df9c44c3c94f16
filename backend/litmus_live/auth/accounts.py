"""People and tokens as an admin changes them, from the CLI (commands.py) or over HTTP (routes):
names and passwords checked, each change audited under the name of whoever made it.

A change is refused with an `AccountRefused` that says what was expected; the callers tell the
running server (a poke, or a re-check) so that the open connections of what changed close.
"""

from __future__ import annotations

import enum
import json
import re

from litmus_live.auth import credentials
from litmus_live.auth.identity import Role
from litmus_live.auth.store import AlreadyExists, AuditEntry, IdentityStore
from litmus_live.events import utcnow

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@:-]{0,63}")
MIN_PASSWORD = 8


class Why(enum.StrEnum):
    BAD_REQUEST = "bad_request"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"


class AccountRefused(Exception):
    def __init__(self, why: Why, message: str) -> None:
        super().__init__(message)
        self.why, self.message = why, message


def check_name(name: str) -> None:
    if not NAME.fullmatch(name):
        raise AccountRefused(
            Why.BAD_REQUEST,
            "a name is 1-64 letters, digits or ._@:- (starting with a letter or digit); got "
            + json.dumps(name, ensure_ascii=False),
        )


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountRefused(
            Why.BAD_REQUEST, f"a password needs at least {MIN_PASSWORD} characters; got {len(password)}"
        )


class Accounts:
    """The changes one admin (`who`, reached `via` terminal, ui or script) makes."""

    def __init__(self, store: IdentityStore, *, who: str, via: str) -> None:
        self._store, self._who, self._via = store, who, via

    async def _audit(self, action: str, target: str) -> None:
        await self._store.record(AuditEntry(at=utcnow(), who=self._who, via=self._via, action=action, target=target))

    async def add_user(self, name: str, role: Role, password: str) -> None:
        check_name(name)
        check_password(password)
        try:
            await self._store.add_user(name, role, credentials.hash_password(password))
        except AlreadyExists:
            raise AccountRefused(Why.CONFLICT, f"a user named {name} exists; set a password instead") from None
        await self._audit("users.add", f"{name} ({role})")

    async def set_password(self, name: str, password: str) -> None:
        check_password(password)
        if not await self._store.set_password(name, credentials.hash_password(password)):
            raise AccountRefused(Why.NOT_FOUND, f"no user named {name}")
        await self._audit("users.passwd", name)

    async def remove_user(self, name: str) -> None:
        await self._keep_an_admin(name, "removing")
        if not await self._store.remove_user(name):
            raise AccountRefused(Why.NOT_FOUND, f"no user named {name}")
        await self._audit("users.remove", name)

    async def set_role(self, name: str, role: Role) -> None:
        """A new role; it ends the person's sessions, so they sign in again under it."""
        found = await self._store.password_hash(name)
        if found is None:
            raise AccountRefused(Why.NOT_FOUND, f"no user named {name}")
        if found[0] is role:
            return
        if role is not Role.ADMIN:
            await self._keep_an_admin(name, f"making a {role} of")
        # the store's own verbs only: removing the person ends their sessions (created_at restarts)
        await self._store.remove_user(name)
        await self._store.add_user(name, role, found[1])
        await self._audit("users.role", f"{name} ({found[0]} -> {role})")

    async def _keep_an_admin(self, name: str, change: str) -> None:
        admins = [u.name for u in await self._store.users() if u.role is Role.ADMIN]
        if admins == [name]:
            raise AccountRefused(Why.CONFLICT, f"{change} {name} would leave no admin; make someone else admin first")

    async def create_token(self, name: str, role: Role) -> str:
        """A new token's secret: shown to its creator once, kept only as a digest."""
        check_name(name)
        secret = credentials.new_token()
        try:
            await self._store.add_token(name, role, credentials.digest(secret))
        except AlreadyExists:
            raise AccountRefused(Why.CONFLICT, f"a token named {name} exists; revoke it first") from None
        await self._audit("tokens.create", f"{name} ({role})")
        return secret

    async def revoke_token(self, name: str) -> None:
        if not await self._store.revoke_token(name):
            known = ", ".join(t.name for t in await self._store.tokens()) or "none"
            raise AccountRefused(Why.NOT_FOUND, f"no token named {name}; tokens: {known}")
        await self._audit("tokens.revoke", name)
