"""The most recent committed records of each live run, kept in memory so that subscribers at
the tail never touch SQLite; `take`, which cuts a batch to one frame's worth; and `Page`, such
a batch joined once into the text that goes between the brackets of an array frame."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import NamedTuple


class Page(NamedTuple):
    """`count` consecutive records of a run's log, their JSON joined by commas in seq order."""

    count: int
    body: bytes

    @classmethod
    def of(cls, items: Sequence[bytes]) -> Page:
        return cls(len(items), b",".join(items))


EMPTY = Page(0, b"")


class Tail:
    """The most recent committed records of a live run, for subscribers at the tail."""

    def __init__(self, first_seq: int, keep: int) -> None:
        self.first_seq = first_seq
        self.items: list[bytes] = []
        self._keep = keep

    def extend(self, items: Sequence[bytes]) -> None:
        self.items.extend(items)
        excess = len(self.items) - 2 * self._keep
        if excess > 0:
            cut = len(self.items) - self._keep
            del self.items[:cut]
            self.first_seq += cut

    def covers(self, after: int) -> bool:
        return after + 1 >= self.first_seq

    def after(self, after: int, limit: int, max_bytes: int) -> list[bytes]:
        """The records past seq `after` (which the tail covers), cut to one batch."""
        return take(self.items[after + 1 - self.first_seq :], limit, max_bytes)


def take(items: Iterable[bytes], limit: int, max_bytes: int) -> list[bytes]:
    """The first records of `items` that fit in `limit` records and about `max_bytes`."""
    out: list[bytes] = []
    size = 0
    for item in itertools.islice(items, limit):
        if out and size + len(item) > max_bytes:
            break
        out.append(item)
        size += len(item)
    return out
