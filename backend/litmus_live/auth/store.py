"""Users, tokens, sessions and the audit log, behind `IdentityStore`; `SqliteIdentityStore` keeps
them in the data dir (identity.sqlite3, WAL) so the CLI can change them while the server runs.
A fleet keeps them in its Redis instead (fleet/identity.py); `open_identity` picks one.

Only digests of secrets are stored. Every call is a short indexed query, so lookups are not
cached: a token revoked in another process stops working on the next request.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

import msgspec

from litmus_live.auth import notify
from litmus_live.auth.identity import Identity, Kind, Role
from litmus_live.events import utcnow

SESSION_LIFETIME = dt.timedelta(days=7)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, secret_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL, last_used_at TEXT);
CREATE TABLE IF NOT EXISTS sessions (
    secret_hash TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    expires_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, who TEXT NOT NULL, via TEXT NOT NULL,
    action TEXT NOT NULL, target TEXT NOT NULL, outcome TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_refused ON audit(id) WHERE outcome LIKE 'refused%';
"""
MAX_REFUSED = 10_000  # refused attempts kept in the audit log; older ones make way
MAX_UNWRITTEN = 10_000  # audit entries held in memory while the disk is full
log = logging.getLogger(__name__)


class User(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    role: Role
    has_password: bool
    created_at: dt.datetime


class TokenInfo(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    role: Role
    created_at: dt.datetime
    last_used_at: dt.datetime | None


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One thing someone did or tried: `outcome` is ok, or why it was refused."""

    at: dt.datetime
    who: str
    via: str
    action: str  # sign_in, sign_out, token_use, launch, abort, answer, users.add, tokens.revoke, ...
    target: str = ""
    outcome: str = "ok"  # or `refused: <code>` for an attempt the edge turned away

    @property
    def is_refusal(self) -> bool:
        return self.outcome.startswith("refused")


class AlreadyExists(Exception):
    pass


class IdentityUnavailable(Exception):
    """The store cannot be read now (a fleet's Redis out of reach): credentials cannot be checked;
    or it cannot write (a full disk): the change asked for did not happen. The message says why,
    in words; the edge answers 503 store_unavailable."""


class Listening(Protocol):
    def close(self) -> None: ...


class IdentityStore(Protocol):
    """What the edge needs to know about people and scripts; a Redis one sits beside SQLite.
    `shared` says whether several servers read the same store (a fleet's)."""

    shared: bool

    def close(self) -> None: ...
    async def listen(self, on_change: Callable[[], Awaitable[None]]) -> Listening: ...
    def announce(self) -> None: ...

    async def add_user(self, name: str, role: Role, password_hash: str | None) -> None: ...
    async def set_password(self, name: str, password_hash: str) -> bool: ...
    async def remove_user(self, name: str) -> bool: ...
    async def users(self) -> list[User]: ...
    async def password_hash(self, name: str) -> tuple[Role, str | None] | None: ...
    async def add_token(self, name: str, role: Role, secret_hash: str) -> None: ...
    async def revoke_token(self, name: str) -> bool: ...
    async def tokens(self) -> list[TokenInfo]: ...
    async def by_token(self, secret_hash: str) -> Identity | None: ...
    async def add_session(self, secret_hash: str, user: str) -> None: ...
    async def by_session(self, secret_hash: str) -> Identity | None: ...
    async def end_session(self, secret_hash: str) -> None: ...
    async def still_valid(self, secret_hashes: set[str]) -> set[str]: ...
    async def record(self, entry: AuditEntry) -> None:
        """Keep `entry`; of refused attempts (outcome `refused: …`) only the newest MAX_REFUSED stay."""

    async def audit(self, limit: int) -> list[AuditEntry]: ...


def open_identity(location: str, data_dir: Path) -> IdentityStore:
    """The identity store of a server: a fleet's Redis (redis://...), else the SQLite file in `data_dir`."""
    if not location:
        return SqliteIdentityStore.in_data_dir(data_dir)
    from litmus_live.fleet.identity import RedisIdentityStore  # noqa: PLC0415 - only a fleet needs Redis

    return RedisIdentityStore.from_url(location)


class SqliteIdentityStore:
    shared = False  # one server's data dir

    def __init__(self, path: Path, *, max_refused: int = MAX_REFUSED) -> None:
        self._max_refused = max_refused
        self._data_dir = path.parent
        self._unwritten: deque[AuditEntry] = deque()
        self._is_holding = False  # said once per outage that entries wait
        path.parent.mkdir(parents=True, exist_ok=True)
        # SQLite gives the -wal and -shm files the mode of the database: 0600 before it opens
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        path.chmod(0o600)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> SqliteIdentityStore:
        return cls(data_dir / "identity.sqlite3")

    def close(self) -> None:
        self._write_waiting()
        self._db.close()

    async def listen(self, on_change: Callable[[], Awaitable[None]]) -> Listening:
        """Call `on_change` when another process (the CLI) says it changed something."""
        return await notify.listen(self._data_dir, on_change)

    def announce(self) -> None:
        """Tell the server of this data dir, if one runs, that something changed."""
        notify.poke(self._data_dir)

    def _one(self, sql: str, *args: object) -> tuple | None:
        return self._db.execute(sql, args).fetchone()

    def _change(self, sql: str, *args: object) -> int:
        try:
            return self._db.execute(sql, args).rowcount
        except sqlite3.IntegrityError:
            raise AlreadyExists from None
        except sqlite3.OperationalError as exc:  # a full or failing disk: nothing was changed
            raise IdentityUnavailable(f"the identity store cannot write now: {exc}; nothing was changed") from None

    # -- people ------------------------------------------------------------------------

    async def add_user(self, name: str, role: Role, password_hash: str | None) -> None:
        self._change("INSERT INTO users VALUES (?, ?, ?, ?)", name, role.value, password_hash, utcnow().isoformat())

    async def set_password(self, name: str, password_hash: str) -> bool:
        return self._change("UPDATE users SET password_hash = ? WHERE name = ?", password_hash, name) == 1

    async def remove_user(self, name: str) -> bool:
        return self._change("DELETE FROM users WHERE name = ?", name) == 1

    async def users(self) -> list[User]:
        rows = self._db.execute("SELECT name, role, password_hash IS NOT NULL, created_at FROM users ORDER BY name")
        return [User(name=n, role=Role(r), has_password=bool(p), created_at=dt.datetime.fromisoformat(c))
                for n, r, p, c in rows]  # fmt: skip

    async def password_hash(self, name: str) -> tuple[Role, str | None] | None:
        row = self._one("SELECT role, password_hash FROM users WHERE name = ?", name)
        return None if row is None else (Role(row[0]), row[1])

    # -- scripts -----------------------------------------------------------------------

    async def add_token(self, name: str, role: Role, secret_hash: str) -> None:
        self._change(
            "INSERT INTO tokens VALUES (?, ?, ?, ?, NULL)", name, role.value, secret_hash, utcnow().isoformat()
        )

    async def revoke_token(self, name: str) -> bool:
        return self._change("DELETE FROM tokens WHERE name = ?", name) == 1

    async def tokens(self) -> list[TokenInfo]:
        rows = self._db.execute("SELECT name, role, created_at, last_used_at FROM tokens ORDER BY name")
        return [TokenInfo(name=n, role=Role(r), created_at=dt.datetime.fromisoformat(c),
                          last_used_at=dt.datetime.fromisoformat(u) if u else None)
                for n, r, c, u in rows]  # fmt: skip

    async def by_token(self, secret_hash: str) -> Identity | None:
        row = self._one("SELECT name, role FROM tokens WHERE secret_hash = ?", secret_hash)
        if row is None:
            return None
        return Identity(name=row[0], role=Role(row[1]), kind=Kind.TOKEN, secret_hash=secret_hash)

    # -- browser sessions --------------------------------------------------------------

    async def add_session(self, secret_hash: str, user: str) -> None:
        expires = (utcnow() + SESSION_LIFETIME).isoformat()
        self._change("INSERT INTO sessions VALUES (?, ?, ?)", secret_hash, user, expires)

    async def by_session(self, secret_hash: str) -> Identity | None:
        row = self._one(
            "SELECT u.name, u.role FROM sessions s JOIN users u ON u.name = s.user"
            " WHERE s.secret_hash = ? AND s.expires_at > ?", secret_hash, utcnow().isoformat(),
        )  # fmt: skip
        if row is None:
            return None
        return Identity(name=row[0], role=Role(row[1]), kind=Kind.SESSION, secret_hash=secret_hash)

    async def end_session(self, secret_hash: str) -> None:
        self._change("DELETE FROM sessions WHERE secret_hash = ?", secret_hash)

    async def still_valid(self, secret_hashes: set[str]) -> set[str]:
        """Which of these credentials still resolve (the rest were revoked, removed or expired)."""
        now = utcnow().isoformat()
        tokens = {h for (h,) in self._db.execute("SELECT secret_hash FROM tokens")}
        sessions = {h for (h,) in self._db.execute("SELECT secret_hash FROM sessions WHERE expires_at > ?", (now,))}
        return secret_hashes & (tokens | sessions)

    # -- audit -------------------------------------------------------------------------

    async def record(self, entry: AuditEntry) -> None:
        # A full disk must not turn what is audited (an abort, an answer) into a failure: entries
        # wait in memory, in order, and are written with the next one (or read) once there is room.
        self._unwritten.append(entry)
        self._write_waiting()

    def _write_waiting(self) -> None:
        try:
            while self._unwritten:
                self._write(self._unwritten[0])
                self._unwritten.popleft()
            self._is_holding = False
        except sqlite3.OperationalError as exc:
            if not self._is_holding:
                log.error("audit entries wait in memory until they can be written: %s", exc)
            self._is_holding = True
            if len(self._unwritten) > MAX_UNWRITTEN:
                self._unwritten.popleft()
                log.error("an audit entry was dropped: more than %d waited for the disk", MAX_UNWRITTEN)

    def _write(self, entry: AuditEntry) -> None:
        """One entry, and the trim it may call for, in one transaction."""
        self._db.execute("BEGIN")
        try:
            self._db.execute(
                "INSERT INTO audit (at, who, via, action, target, outcome) VALUES (?, ?, ?, ?, ?, ?)",
                (entry.at.isoformat(), entry.who, entry.via, entry.action, entry.target, entry.outcome),
            )
            if entry.is_refusal:  # a flood of refusals replaces older refusals, never fills the disk
                self._db.execute(
                    "DELETE FROM audit WHERE outcome LIKE 'refused%' AND id <= (SELECT id FROM audit"
                    " WHERE outcome LIKE 'refused%' ORDER BY id DESC LIMIT 1 OFFSET ?)", (self._max_refused,),
                )  # fmt: skip
            self._db.execute("COMMIT")
        finally:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")

    async def audit(self, limit: int) -> list[AuditEntry]:
        self._write_waiting()
        rows = self._db.execute(
            "SELECT at, who, via, action, target, outcome FROM audit ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [AuditEntry(at=dt.datetime.fromisoformat(a), who=w, via=v, action=c, target=t, outcome=o)
                for a, w, v, c, t, o in rows]  # fmt: skip
