"""The bodies of the HTTP API (PROTOCOL.md §9) as Structs: what api.py reads and answers, and
what schema.json describes (with the bodies of the identity routes, which live beside them).
"""

from __future__ import annotations

import enum
import unicodedata
from typing import Annotated, Literal

import msgspec

from litmus_live.events import Stream
from litmus_live.store import RunSummary

_Text = Annotated[str, msgspec.Meta(max_length=200)]


class LaunchBody(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`POST /api/runs`: what to run, on which unit."""

    test_path: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    uut_serial: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
    operator: _Text = ""  # ignored: the run's operator is the signed-in name (kept for old clients)
    station: _Text = ""

    def control_character(self) -> str:
        """Why a serial, operator or station is refused ('' when none is): each is printable
        text, which a test would see cut at a NUL."""
        for field in ("uut_serial", "operator", "station"):
            text = getattr(self, field)
            if bad := next((c for c in text if unicodedata.category(c) == "Cc"), None):
                where = text.index(bad) + 1
                return f"{field} holds the control character U+{ord(bad):04X} at character {where}; printable text only"
        return ""


class Launched(msgspec.Struct, frozen=True, kw_only=True):
    """201 to `POST /api/runs`."""

    run_id: str
    live_url: str


def _fields(struct: type[msgspec.Struct]) -> list[tuple]:
    """(name, type[, default]) of every field of `struct`, for deriving a wider Struct."""
    out: list[tuple] = []
    for f in msgspec.structs.fields(struct):
        if f.default is not msgspec.NODEFAULT:
            out.append((f.name, f.type, f.default))
        elif f.default_factory is not msgspec.NODEFAULT:
            out.append((f.name, f.type, msgspec.field(default_factory=f.default_factory)))
        else:
            out.append((f.name, f.type))
    return out


# A run summary as the HTTP API shows it: every RunSummary field the wire knows, and whether it is live.
_NOT_SHOWN = ("asked", "step_since")  # the store's own bookkeeping
RunView = msgspec.defstruct(
    "RunView", [*(f for f in _fields(RunSummary) if f[0] not in _NOT_SHOWN), ("is_live", bool)], kw_only=True
)


def view(summary: RunSummary) -> RunView:
    fields = {k: v for k, v in msgspec.structs.asdict(summary).items() if k not in _NOT_SHOWN}
    return RunView(**fields, is_live=summary.is_live)


class TailLine(msgspec.Struct, frozen=True, kw_only=True):
    stream: Stream
    line: str


class Tail(msgspec.Struct, frozen=True, kw_only=True):
    """`GET /api/runs/{run_id}/tail`: a live run's last lines, oldest first."""

    run_id: str
    lines: list[TailLine]


class Aborting(msgspec.Struct, frozen=True, kw_only=True):
    """202 to `POST /api/runs/{run_id}/abort`; the run's own status stays RUNNING until `complete`."""

    run_id: str
    status: Literal["aborting"] = "aborting"


class ChannelCounts(msgspec.Struct, frozen=True, kw_only=True):
    """`GET /api/runs/{run_id}/channels`: readings kept per channel."""

    run_id: str
    samples: dict[str, int]


class TestList(msgspec.Struct, frozen=True, kw_only=True):
    """`GET /api/tests`: what can be launched, relative to the test root."""

    __test__ = False  # a body, not a pytest class

    root: str
    tests: list[str]


class Health(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """`GET /healthz`: 200 "ok", or 503 "store_unavailable" with the reason in words."""

    status: Literal["ok", "store_unavailable"]
    live_runs: int
    reason: str | None = None


class HttpErrorCode(enum.StrEnum):
    """Every `error.code` an HTTP answer carries (PROTOCOL.md §1 and §9)."""

    BAD_REQUEST = "bad_request"
    INVALID_TEST_PATH = "invalid_test_path"
    BAD_CREDENTIALS = "bad_credentials"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    HOST_FORBIDDEN = "host_forbidden"
    ORIGIN_FORBIDDEN = "origin_forbidden"
    NOT_FOUND = "not_found"
    RUN_NOT_FOUND = "run_not_found"
    CHANNEL_NOT_FOUND = "channel_not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    RUN_NOT_LIVE = "run_not_live"
    BODY_TOO_LARGE = "body_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    RATE_LIMITED = "rate_limited"
    STORE_UNAVAILABLE = "store_unavailable"
    # a fleet's (PROTOCOL.md §9, POST /api/runs and abort)
    STATION_REQUIRED = "station_required"
    STATION_NOT_FOUND = "station_not_found"
    STATION_OFFLINE = "station_offline"
    STATION_TIMEOUT = "station_timeout"


class ErrorDetail(msgspec.Struct, frozen=True, kw_only=True):
    code: HttpErrorCode
    message: str


class HttpError(msgspec.Struct, frozen=True, kw_only=True):
    """The body of every 4xx and 5xx answer of the HTTP API but `/healthz`'s 503."""

    error: ErrorDetail
