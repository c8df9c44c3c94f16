"""Refused attempts in the audit log: a share per client a minute, the rest counted; the store
keeps only its newest refusals, so no flood fills the disk."""

from __future__ import annotations

import time
from pathlib import Path

from litmus_live.auth import AuditEntry, SqliteIdentityStore
from litmus_live.auth.refusals import Refusals
from litmus_live.events import utcnow


async def refuse(refusals: Refusals, client: str, n: int) -> None:
    for _ in range(n):
        await refusals.record(who="mallory", via="script", action="request", target="GET /api/runs",
                              code="unauthorized", client=client)  # fmt: skip


async def test_each_client_gets_a_share_a_minute_and_the_rest_is_counted(tmp_path: Path) -> None:
    store = SqliteIdentityStore(tmp_path / "identity.sqlite3")
    refusals = Refusals(store, per_minute=3, minute=0.5)
    await refuse(refusals, "10.0.0.1", 10)
    await refuse(refusals, "10.0.0.2", 1)
    entries = await store.audit(100)
    assert [e.target for e in entries].count("GET /api/runs from 10.0.0.1") == 3
    assert "the last of 3 recorded this minute for 10.0.0.1" in entries[1].outcome
    assert entries[0].target == "GET /api/runs from 10.0.0.2"  # another client has its own share
    time.sleep(0.6)  # the next minute of this scaled-down clock
    await refuse(refusals, "10.0.0.1", 1)
    newest = (await store.audit(1))[0]
    assert newest.outcome.startswith("refused: unauthorized")
    assert "7 more refusals of 10.0.0.1 before this one were not recorded" in newest.outcome


async def test_the_store_keeps_only_the_newest_refusals_and_every_other_entry(tmp_path: Path) -> None:
    store = SqliteIdentityStore(tmp_path / "identity.sqlite3", max_refused=5)
    for n in range(12):
        await store.record(AuditEntry(at=utcnow(), who="x", via="ui", action="sign_in", target=str(n),
                                      outcome="refused: bad_credentials"))  # fmt: skip
        if n % 4 == 0:
            await store.record(AuditEntry(at=utcnow(), who="ada", via="ui", action="launch", target=str(n)))
    entries = await store.audit(100)
    assert [e.target for e in entries if e.is_refusal] == ["11", "10", "9", "8", "7"]
    assert [e.target for e in entries if not e.is_refusal] == ["8", "4", "0"]
