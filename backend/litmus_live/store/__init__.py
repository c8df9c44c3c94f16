"""The EventStore: where every record of every run is kept (see base.py)."""

from litmus_live.store.base import (
    STOPPED_REASON,
    EventStore,
    PromptClosed,
    SampleBatch,
    StoreUnavailable,
    StoreUnreadable,
    UnknownRun,
)
from litmus_live.store.sqlite import SqliteStore
from litmus_live.store.summary import RunQuery, RunSummary

__all__ = [
    "STOPPED_REASON",
    "EventStore",
    "PromptClosed",
    "RunQuery",
    "RunSummary",
    "SampleBatch",
    "SqliteStore",
    "StoreUnavailable",
    "StoreUnreadable",
    "UnknownRun",
]
