"""litmus-live users | tokens: manage who may sign in and which scripts may connect.

Each verb opens the identity store in --data-dir directly (it works while the server runs)
and then pokes the running server, which re-checks its open connections at once.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from litmus_live.auth import credentials, notify
from litmus_live.auth.identity import Role
from litmus_live.auth.store import AlreadyExists, AuditEntry, SqliteIdentityStore
from litmus_live.events import utcnow

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@:-]{0,63}")
_ROLES = [r.value for r in Role]


def add_parsers(sub: argparse._SubParsersAction, default_data_dir: Callable[[], Path]) -> None:
    users = sub.add_parser("users", help="people who sign in from the browser").add_subparsers(required=True)
    _verb(users, "add", _users_add, default_data_dir, "add a person (password from a prompt or --password-stdin)")
    _verb(users, "passwd", _users_passwd, default_data_dir, "set a person's password")
    _verb(users, "list", _users_list, default_data_dir, "list people and their roles")
    _verb(users, "remove", _users_remove, default_data_dir, "remove a person; their sessions end")
    tokens = sub.add_parser("tokens", help="API tokens for scripts").add_subparsers(required=True)
    _verb(tokens, "create", _tokens_create, default_data_dir, "create a token; it is printed once, as the last line")
    _verb(tokens, "list", _tokens_list, default_data_dir, "list tokens (never their secrets)")
    _verb(tokens, "revoke", _tokens_revoke, default_data_dir, "revoke a token; its open connections close")


def _verb(group: argparse._SubParsersAction, verb: str, func: Callable, data_dir: Callable[[], Path], help_: str):
    parser = group.add_parser(verb, help=help_)
    parser.add_argument("--data-dir", type=Path, default=None, help="the server's data dir (default ./data)")
    if verb in ("add", "passwd", "remove", "revoke"):
        parser.add_argument("name")
    if verb == "create":
        parser.add_argument("--name", required=True)
    if verb in ("add", "create"):
        parser.add_argument("--role", choices=_ROLES, required=True)
    if verb in ("add", "passwd"):
        parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    changes = verb != "list"
    parser.set_defaults(func=lambda args: _run(func, args, args.data_dir or data_dir(), changes=changes))


def _run(func: Callable[[argparse.Namespace, SqliteIdentityStore], Awaitable[int]], args, data_dir: Path, *,
         changes: bool) -> int:  # fmt: skip
    name = getattr(args, "name", None)
    if name is not None and not NAME.fullmatch(name):
        print(f"error: a name is 1-64 letters, digits or ._@:- (starting with a letter or digit); got {name!r}",
              file=sys.stderr)  # fmt: skip
        return 2
    store = SqliteIdentityStore.in_data_dir(data_dir)
    try:
        code = asyncio.run(func(args, store))
    finally:
        store.close()
    if code == 0 and changes:
        notify.poke(data_dir)
    return code


def _password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("error: the two passwords differ", file=sys.stderr)
            return None
    if len(password) < 8:
        print(f"error: a password needs at least 8 characters; got {len(password)}", file=sys.stderr)
        return None
    return password


async def _audit(store: SqliteIdentityStore, action: str, target: str) -> None:
    await store.record(AuditEntry(at=utcnow(), who=f"cli:{getpass.getuser()}", via="terminal", action=action,
                                  target=target))  # fmt: skip


async def _users_add(args: argparse.Namespace, store: SqliteIdentityStore) -> int:
    password = _password(args)
    if password is None:
        return 2
    try:
        await store.add_user(args.name, Role(args.role), credentials.hash_password(password))
    except AlreadyExists:
        print(f"error: a user named {args.name!r} exists; set a password with `users passwd`", file=sys.stderr)
        return 1
    await _audit(store, "users.add", f"{args.name} ({args.role})")
    print(f"added {args.name} ({args.role})")
    return 0


async def _users_passwd(args: argparse.Namespace, store: SqliteIdentityStore) -> int:
    password = _password(args)
    if password is None:
        return 2
    if not await store.set_password(args.name, credentials.hash_password(password)):
        print(f"error: no user named {args.name!r}", file=sys.stderr)
        return 1
    await _audit(store, "users.passwd", args.name)
    print(f"password set for {args.name}")
    return 0


async def _users_list(args: argparse.Namespace, store: SqliteIdentityStore) -> int:
    for user in await store.users():
        note = "" if user.has_password else "  (no password yet)"
        print(f"{user.name}\t{user.role}\tsince {user.created_at:%Y-%m-%d %H:%M}{note}")
    return 0


async def _users_remove(args: argparse.Namespace, store: SqliteIdentityStore) -> int:
    if not await store.remove_user(args.name):
        print(f"error: no user named {args.name!r}", file=sys.stderr)
        return 1
    await _audit(store, "users.remove", args.name)
    print(f"removed {args.name}")
    return 0


async def _tokens_create(args: argparse.Namespace, store: SqliteIdentityStore) -> int:
    secret = credentials.new_token()
    try:
        await store.add_token(args.name, Role(args.role), credentials.digest(secret))
    except AlreadyExists:
        print(f"error: a token named {args.name!r} exists; revoke it first", file=sys.stderr)
        return 1
    await _audit(store, "tokens.create", f"{args.name} ({args.role})")
    print(f"token {args.name} ({args.role}); it is shown only now:")
    print(secret)
    return 0


async def _tokens_list(args: argparse.Namespace, store: SqliteIdentityStore) -> int:
    for token in await store.tokens():
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        print(f"{token.name}\t{token.role}\tcreated {token.created_at:%Y-%m-%d %H:%M}\tlast used {used}")
    return 0


async def _tokens_revoke(args: argparse.Namespace, store: SqliteIdentityStore) -> int:
    if not await store.revoke_token(args.name):
        known = ", ".join(t.name for t in await store.tokens()) or "none"
        print(f"error: no token named {args.name!r}; tokens: {known}", file=sys.stderr)
        return 1
    await _audit(store, "tokens.revoke", args.name)
    print(f"revoked {args.name}")
    return 0
