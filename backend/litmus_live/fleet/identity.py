"""The fleet's users, tokens, sessions and audit log in Redis, so one sign-in or token is valid
on every node (the `IdentityStore` of auth/, beside the SQLite one a single node keeps).

Only digests of secrets are stored, as in SQLite. A session is a key that expires by itself;
a token's digest maps to its name, so a lookup is one read and a revocation takes effect on
every node at the next request. A change that can end a credential is also published on
CHANGED, and every node re-checks its open connections at once (the SQLite store's poke).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections.abc import Awaitable, Callable

import msgspec
import redis

from litmus_live.auth.identity import Identity, Kind, Role
from litmus_live.auth.store import (
    MAX_REFUSED,
    SESSION_LIFETIME,
    AlreadyExists,
    AuditEntry,
    IdentityUnavailable,
    TokenInfo,
    User,
)
from litmus_live.events import utcnow
from litmus_live.store.redis import connect

log = logging.getLogger(__name__)
CHANGED = "litmus:identity-changed"  # pub/sub: a credential may have ended somewhere
USERS = "litmus:users"  # hash: name -> _UserRow
TOKENS = "litmus:tokens"  # hash: name -> _TokenRow
TOKEN_HASHES = "litmus:token-hashes"  # hash: secret digest -> token name
AUDIT = "litmus:audit"  # stream of AuditEntry
AUDIT_REFUSED = "litmus:audit-refused"  # stream of refused attempts: a flood replaces older ones only
AUDIT_KEEP = 100_000
AUDIT_ORDER = "litmus:audit-order"  # counter: one order over both audit streams (their ids are per stream)
# KEYS: session, the user's sessions; ARGV: user, seconds, digest. A session ends with its user.
_ADD_SESSION = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 0 end
redis.call('SADD', KEYS[2], ARGV[3]); redis.call('EXPIRE', KEYS[2], ARGV[2]); return 1
"""
# KEYS: users, the user's sessions; ARGV: name. The user and every session of theirs.
_REMOVE_USER = """
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
for _, digest in ipairs(redis.call('SMEMBERS', KEYS[2])) do redis.call('DEL', 'litmus:session:' .. digest) end
redis.call('DEL', KEYS[2]); return removed
"""
# KEYS: tokens, token-hashes; ARGV: name, digest, row. Both or neither.
_ADD_TOKEN = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 or redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]); redis.call('HSET', KEYS[2], ARGV[2], ARGV[1]); return 1
"""


class _UserRow(msgspec.Struct, kw_only=True):
    role: Role
    password_hash: str | None
    created_at: dt.datetime


class _TokenRow(msgspec.Struct, kw_only=True):
    role: Role
    secret_hash: str
    created_at: dt.datetime


_user = msgspec.json.Decoder(_UserRow).decode
_token = msgspec.json.Decoder(_TokenRow).decode
_audit = msgspec.json.Decoder(AuditEntry).decode
_encode = msgspec.json.encode


def _unavailable(exc: redis.RedisError) -> IdentityUnavailable:
    return IdentityUnavailable(f"the fleet's store cannot be reached: {exc}")


def _session_key(secret_hash: str) -> str:
    return f"litmus:session:{secret_hash}"


def _sessions_of(user: str) -> str:
    return f"litmus:user-sessions:{user}"


def _audit_order(entry: tuple[bytes, dict[bytes, bytes]]) -> int:
    """Where an entry stands among both streams: two entries of one millisecond in different
    streams have stream ids that do not say which came first; the shared counter does."""
    return int(entry[1][b"n"])


class RedisIdentityStore:
    shared = True  # every node of the fleet reads it

    def __init__(self, client: redis.Redis, *, max_refused: int = MAX_REFUSED) -> None:
        self._client, self._max_refused = client, max_refused
        self._add_token = client.register_script(_ADD_TOKEN)
        self._add_session = client.register_script(_ADD_SESSION)
        self._remove_user = client.register_script(_REMOVE_USER)

    @classmethod
    def from_url(cls, url: str) -> RedisIdentityStore:
        return cls(connect(url))

    def close(self) -> None:
        self._client.close()

    async def listen(self, on_change: Callable[[], Awaitable[None]]) -> _Listening:
        """Call `on_change` whenever any node or CLI announces a change (and after Redis comes
        back, since what changed meanwhile was not heard)."""
        return _Listening(self._client, asyncio.get_running_loop(), on_change)

    def announce(self) -> None:
        try:
            self._client.publish(CHANGED, b"changed")
        except redis.RedisError as exc:
            raise _unavailable(exc) from None

    async def _announce(self) -> None:
        await self._call(self.announce)

    async def _call(self, fn, *args, **kwargs):
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except redis.RedisError as exc:
            raise _unavailable(exc) from None

    # -- people ------------------------------------------------------------------------

    async def add_user(self, name: str, role: Role, password_hash: str | None) -> None:
        row = _UserRow(role=role, password_hash=password_hash, created_at=utcnow())
        if not await self._call(self._client.hsetnx, USERS, name, _encode(row)):
            raise AlreadyExists

    async def set_password(self, name: str, password_hash: str) -> bool:
        body = await self._call(self._client.hget, USERS, name)
        if body is None:
            return False
        row = _user(body)
        row.password_hash = password_hash
        await self._call(self._client.hset, USERS, name, _encode(row))
        return True

    async def remove_user(self, name: str) -> bool:
        removed = bool(await self._call(self._remove_user, keys=[USERS, _sessions_of(name)], args=[name]))
        await self._announce()
        return removed

    async def users(self) -> list[User]:
        rows = await self._call(self._client.hgetall, USERS)
        out = [(k.decode(), _user(v)) for k, v in rows.items()]
        return [User(name=n, role=r.role, has_password=r.password_hash is not None, created_at=r.created_at)
                for n, r in sorted(out, key=lambda item: item[0])]  # fmt: skip

    async def password_hash(self, name: str) -> tuple[Role, str | None] | None:
        body = await self._call(self._client.hget, USERS, name)
        if body is None:
            return None
        row = _user(body)
        return row.role, row.password_hash

    # -- scripts -----------------------------------------------------------------------

    async def add_token(self, name: str, role: Role, secret_hash: str) -> None:
        row = _encode(_TokenRow(role=role, secret_hash=secret_hash, created_at=utcnow()))
        if not await self._call(self._add_token, keys=[TOKENS, TOKEN_HASHES], args=[name, secret_hash, row]):
            raise AlreadyExists

    async def revoke_token(self, name: str) -> bool:
        body = await self._call(self._client.hget, TOKENS, name)
        if body is None:
            return False
        pipe = self._client.pipeline()
        pipe.hdel(TOKENS, name)
        pipe.hdel(TOKEN_HASHES, _token(body).secret_hash)
        await self._call(pipe.execute)
        await self._announce()
        return True

    async def tokens(self) -> list[TokenInfo]:
        rows = await self._call(self._client.hgetall, TOKENS)
        out = sorted((k.decode(), _token(v)) for k, v in rows.items())
        return [TokenInfo(name=n, role=r.role, created_at=r.created_at, last_used_at=None) for n, r in out]

    async def by_token(self, secret_hash: str) -> Identity | None:
        name = await self._call(self._client.hget, TOKEN_HASHES, secret_hash)
        body = None if name is None else await self._call(self._client.hget, TOKENS, name)
        if body is None:
            return None
        return Identity(name=name.decode(), role=_token(body).role, kind=Kind.TOKEN, secret_hash=secret_hash)

    # -- browser sessions --------------------------------------------------------------

    async def add_session(self, secret_hash: str, user: str) -> None:
        seconds = int(SESSION_LIFETIME.total_seconds())
        keys, args = [_session_key(secret_hash), _sessions_of(user)], [user, seconds, secret_hash]
        if not await self._call(self._add_session, keys=keys, args=args):
            raise AlreadyExists

    async def by_session(self, secret_hash: str) -> Identity | None:
        user = await self._call(self._client.get, _session_key(secret_hash))
        body = None if user is None else await self._call(self._client.hget, USERS, user)
        if body is None:
            return None
        return Identity(name=user.decode(), role=_user(body).role, kind=Kind.SESSION, secret_hash=secret_hash)

    async def end_session(self, secret_hash: str) -> None:
        await self._call(self._client.delete, _session_key(secret_hash))
        await self._announce()

    async def still_valid(self, secret_hashes: set[str]) -> set[str]:
        """Which of these credentials still resolve (the rest were revoked, removed or expired)."""
        valid = set()
        for secret_hash in secret_hashes:
            if await self.by_token(secret_hash) or await self.by_session(secret_hash):
                valid.add(secret_hash)
        return valid

    # -- audit -------------------------------------------------------------------------

    async def record(self, entry: AuditEntry) -> None:
        """Keep `entry`; of refused attempts only the newest `max_refused` stay (a stream of their own)."""
        stream, keep = (AUDIT_REFUSED, self._max_refused) if entry.is_refusal else (AUDIT, AUDIT_KEEP)
        order = await self._call(self._client.incr, AUDIT_ORDER)
        fields = {"e": _encode(entry), "n": order}
        await self._call(self._client.xadd, stream, fields, maxlen=keep, approximate=stream == AUDIT)

    async def audit(self, limit: int) -> list[AuditEntry]:
        """The newest `limit` entries, refused attempts among them in the order they happened."""
        kept = await self._call(self._client.xrevrange, AUDIT, "+", "-", count=limit)
        refused = await self._call(self._client.xrevrange, AUDIT_REFUSED, "+", "-", count=limit)
        newest = sorted([*kept, *refused], key=_audit_order, reverse=True)[:limit]
        return [_audit(fields[b"e"]) for _, fields in newest]


class _Listening:
    """A thread subscribed to CHANGED; each message schedules `on_change` on the loop."""

    def __init__(self, client: redis.Redis, loop: asyncio.AbstractEventLoop, on_change) -> None:
        self._client, self._loop, self._on_change = client, loop, on_change
        self._closed = threading.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        threading.Thread(target=self._run, name="identity-changes", daemon=True).start()

    def close(self) -> None:
        self._closed.set()

    def _run(self) -> None:
        heard_before = False
        while not self._closed.is_set():
            try:
                with self._client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    pubsub.subscribe(CHANGED)
                    if heard_before:  # changes made while we were not subscribed went unheard
                        self._loop.call_soon_threadsafe(self._wake)
                    heard_before = True
                    while not self._closed.is_set():
                        if pubsub.get_message(timeout=1.0) is not None:
                            self._loop.call_soon_threadsafe(self._wake)
            # TypeError: the parser polled a socket the closing client took away under the read
            except (redis.RedisError, OSError, TypeError) as exc:
                if self._closed.is_set():
                    return
                log.debug("identity changes: %s; subscribing again", exc)
                self._closed.wait(1.0)

    async def _recheck(self) -> None:
        try:
            await self._on_change()
        except IdentityUnavailable as exc:  # heard again once Redis is back (see _run)
            log.warning("open connections not re-checked: %s", exc)

    def _wake(self) -> None:
        task = self._loop.create_task(self._recheck())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
