"""The fleet's identity store in Redis: what one node (or the CLI) changes, every node sees."""

from __future__ import annotations

import subprocess
import sys

import pytest

from litmus_live.auth import Role, credentials
from litmus_live.auth.identity import Kind
from litmus_live.auth.store import AlreadyExists, AuditEntry
from litmus_live.events import utcnow
from litmus_live.fleet.identity import RedisIdentityStore
from litmus_live.store.redis import connect


def two_nodes(url: str) -> tuple[RedisIdentityStore, RedisIdentityStore]:
    return RedisIdentityStore(connect(url)), RedisIdentityStore(connect(url))


async def test_a_token_made_on_one_node_is_valid_on_another_until_revoked(redis_url: str) -> None:
    a, b = two_nodes(redis_url)
    secret = credentials.new_token()
    await a.add_token("line-script", Role.OPERATOR, credentials.digest(secret))
    with pytest.raises(AlreadyExists):
        await b.add_token("line-script", Role.VIEWER, credentials.digest(credentials.new_token()))
    found = await b.by_token(credentials.digest(secret))
    assert found is not None and (found.name, found.role, found.kind) == ("line-script", Role.OPERATOR, Kind.TOKEN)
    assert [t.name for t in await b.tokens()] == ["line-script"]
    assert await a.revoke_token("line-script")
    assert await b.by_token(credentials.digest(secret)) is None
    assert await b.still_valid({credentials.digest(secret)}) == set()


async def test_users_and_sessions_are_shared_and_end_with_the_user(redis_url: str) -> None:
    a, b = two_nodes(redis_url)
    await a.add_user("ada", Role.OPERATOR, "hash-1")
    with pytest.raises(AlreadyExists):
        await b.add_user("ada", Role.ADMIN, None)
    assert await b.set_password("ada", "hash-2")
    assert await b.password_hash("ada") == (Role.OPERATOR, "hash-2")
    await a.add_session("s1", "ada")
    signed_in = await b.by_session("s1")
    assert signed_in is not None and (signed_in.name, signed_in.kind) == ("ada", Kind.SESSION)
    assert await b.still_valid({"s1", "nope"}) == {"s1"}
    assert await b.remove_user("ada")
    assert await a.by_session("s1") is None
    await a.record(AuditEntry(at=utcnow(), who="ada", via="ui", action="answer", target="run-1"))
    assert [(e.who, e.action) for e in await b.audit(10)] == [("ada", "answer")]


def test_the_cli_manages_the_fleets_tokens_with_store(redis_url: str, tmp_path) -> None:
    cli = [sys.executable, "-m", "litmus_live.cli"]
    create = ["tokens", "create", "--name", "wallboard", "--role", "viewer", "--store", redis_url]
    made = subprocess.run([*cli, *create, "--data-dir", str(tmp_path)],
                          capture_output=True, text=True, check=False, timeout=60)  # fmt: skip
    assert made.returncode == 0, made.stderr
    listed = subprocess.run([*cli, "tokens", "list", "--store", redis_url, "--data-dir", str(tmp_path)],
                            capture_output=True, text=True, check=False, timeout=60)  # fmt: skip
    assert "wallboard" in listed.stdout, listed.stdout + listed.stderr
    assert not (tmp_path / "identity.sqlite3").exists()


async def test_a_person_removed_and_added_again_has_none_of_their_old_sessions(redis_url: str) -> None:
    a, b = two_nodes(redis_url)
    await a.add_user("ada", Role.OPERATOR, "hash-1")
    await a.add_session("s1", "ada")
    await a.add_session("s2", "ada")
    assert await b.remove_user("ada")  # a role change is a removal and an addition
    await b.add_user("ada", Role.ADMIN, "hash-1")
    assert await a.by_session("s1") is None and await a.by_session("s2") is None
    await a.add_session("s3", "ada")
    found = await b.by_session("s3")
    assert found is not None and found.role is Role.ADMIN


async def test_a_flood_of_refusals_replaces_older_refusals_never_the_rest(redis_url: str) -> None:
    node = RedisIdentityStore(connect(redis_url), max_refused=5)
    await node.record(AuditEntry(at=utcnow(), who="ada", via="ui", action="launch", target="run-1"))
    for i in range(12):
        await node.record(AuditEntry(at=utcnow(), who=f"x{i}", via="ui", action="sign_in", outcome="refused: bad"))
    await node.record(AuditEntry(at=utcnow(), who="ada", via="ui", action="abort", target="run-1"))
    entries = await node.audit(100)
    assert [e.who for e in entries if e.is_refusal] == [f"x{i}" for i in range(11, 6, -1)]
    assert [e.action for e in entries if not e.is_refusal] == ["abort", "launch"]
    assert entries[0].action == "abort" and entries[-1].action == "launch"


async def test_the_audit_keeps_the_order_entries_happened_in_across_both_streams(redis_url: str) -> None:
    # Kept entries and refused attempts live in two streams whose ids are per stream: entries
    # of one millisecond must still come back in the order they were recorded.
    node = RedisIdentityStore(connect(redis_url), max_refused=1_000)
    for i in range(200):
        refused = i % 3 == 0
        outcome = "refused: bad" if refused else "ok"
        await node.record(AuditEntry(at=utcnow(), who=f"u{i}", via="ui", action="sign_in", outcome=outcome))
    assert [e.who for e in await node.audit(1_000)] == [f"u{i}" for i in range(199, -1, -1)]
