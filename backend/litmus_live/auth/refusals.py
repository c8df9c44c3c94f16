"""Refused attempts in the audit log, bounded: the edge reports every refusal here (bad password,
unknown token, short role, forged origin or host), and each client address gets at most
PER_MINUTE entries a minute; the rest are counted and the count is recorded with the next entry.

The store keeps only its newest refusals (store.MAX_REFUSED), so a flood costs neither the
disk nor more than a few writes a second.
"""

from __future__ import annotations

import time

from litmus_live.auth.store import AuditEntry, IdentityStore
from litmus_live.events import utcnow

PER_MINUTE = 20
_MAX_TRACKED = 10_000  # client addresses remembered; past it, the ones of an earlier minute go


class _Minute:
    def __init__(self, start: float, missed: int = 0) -> None:
        self.start, self.recorded, self.missed = start, 0, missed


class Refusals:
    def __init__(self, store: IdentityStore, per_minute: int = PER_MINUTE, minute: float = 60.0) -> None:
        self._store, self._per_minute, self._length = store, per_minute, minute
        self._minutes: dict[str, _Minute] = {}

    async def record(self, *, who: str, via: str, action: str, target: str, code: str, client: str) -> None:
        """One refused attempt of `client` (an address), unless it had its share this minute."""
        minute = self._minute(client, time.monotonic())
        if minute.recorded >= self._per_minute:
            minute.missed += 1
            return
        minute.recorded += 1
        outcome = f"refused: {code}"
        if minute.missed:
            outcome += f" ({minute.missed} more refusals of {client} before this one were not recorded)"
            minute.missed = 0
        if minute.recorded == self._per_minute:
            outcome += f" (the last of {self._per_minute} recorded this minute for {client})"
        entry = AuditEntry(
            at=utcnow(), who=who, via=via, action=action, target=f"{target} from {client}".lstrip(), outcome=outcome
        )
        await self._store.record(entry)

    def _minute(self, client: str, now: float) -> _Minute:
        minute = self._minutes.get(client)
        if minute is not None and now - minute.start < self._length:
            return minute
        if minute is None and len(self._minutes) >= _MAX_TRACKED:
            self._minutes = {c: m for c, m in self._minutes.items() if now - m.start < self._length or m.missed}
            if len(self._minutes) >= _MAX_TRACKED:
                self._minutes.clear()  # a flood from everywhere: forget the counts, keep the bound
        self._minutes[client] = _Minute(now, minute.missed if minute else 0)
        return self._minutes[client]
