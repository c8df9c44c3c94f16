"""litmus-live users | tokens: manage who may sign in and which scripts may connect.

Each verb opens the identity store directly (the SQLite file in --data-dir, or a fleet's Redis
with --store; it works while servers run) and then announces the change: the server (or every
node of the fleet) re-checks its open connections at once.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from litmus_live.auth.accounts import AccountRefused, Accounts, Why, check_name, check_password
from litmus_live.auth.identity import Role
from litmus_live.auth.store import IdentityStore, IdentityUnavailable, open_identity

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
    parser.add_argument("--store", default=os.environ.get("LITMUS_STORE", ""),
                        help="a fleet's redis://host:port/db: change the users and tokens of every node")  # fmt: skip
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


def _run(func: Callable[[argparse.Namespace, IdentityStore], Awaitable[int]], args, data_dir: Path, *,
         changes: bool) -> int:  # fmt: skip
    """One verb against the store of `data_dir`: exit 0, 1 (no such name, or it exists) or 2 (bad input)."""
    store = open_identity(args.store, data_dir) if _is_valid_name(args) else None
    if store is None:
        return 2
    try:
        code = asyncio.run(func(args, store))
        if code == 0 and changes:
            store.announce()
    except AccountRefused as refused:
        print(f"error: {refused.message}", file=sys.stderr)
        code = 2 if refused.why is Why.BAD_REQUEST else 1
    except IdentityUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 1
    finally:
        store.close()
    return code


def _is_valid_name(args: argparse.Namespace) -> bool:
    try:
        check_name(getattr(args, "name", None) or "x")
    except AccountRefused as refused:
        print(f"error: {refused.message}", file=sys.stderr)
        return False
    return True


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise AccountRefused(Why.BAD_REQUEST, "the two passwords differ")
    check_password(password)
    return password


def _accounts(store: IdentityStore) -> Accounts:
    return Accounts(store, who=f"cli:{getpass.getuser()}", via="terminal")


async def _users_add(args: argparse.Namespace, store: IdentityStore) -> int:
    await _accounts(store).add_user(args.name, Role(args.role), _password(args))
    print(f"added {args.name} ({args.role})")
    return 0


async def _users_passwd(args: argparse.Namespace, store: IdentityStore) -> int:
    await _accounts(store).set_password(args.name, _password(args))
    print(f"password set for {args.name}")
    return 0


async def _users_list(args: argparse.Namespace, store: IdentityStore) -> int:
    for user in await store.users():
        note = "" if user.has_password else "  (no password yet)"
        print(f"{user.name}\t{user.role}\tsince {user.created_at:%Y-%m-%d %H:%M}{note}")
    return 0


async def _users_remove(args: argparse.Namespace, store: IdentityStore) -> int:
    await _accounts(store).remove_user(args.name)
    print(f"removed {args.name}")
    return 0


async def _tokens_create(args: argparse.Namespace, store: IdentityStore) -> int:
    secret = await _accounts(store).create_token(args.name, Role(args.role))
    print(f"token {args.name} ({args.role}); it is shown only now:")
    print(secret)
    return 0


async def _tokens_list(args: argparse.Namespace, store: IdentityStore) -> int:
    for token in await store.tokens():
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        print(f"{token.name}\t{token.role}\tcreated {token.created_at:%Y-%m-%d %H:%M}\tlast used {used}")
    return 0


async def _tokens_revoke(args: argparse.Namespace, store: IdentityStore) -> int:
    await _accounts(store).revoke_token(args.name)
    print(f"revoked {args.name}")
    return 0
