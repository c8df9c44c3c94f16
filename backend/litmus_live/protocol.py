"""Protocol v1 on the wire: the messages of PROTOCOL.md as tagged Structs, codes, encode/decode.

Log records (event, progress, complete) are defined in events.py and sent as the store keeps
them; this module adds the session-level messages and the unions a peer may send or receive.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated, Any

import msgspec

from litmus_live.events import Complete, Event, Progress, Prompt, Status
from litmus_live.wording import in_words

SUBPROTOCOL = "litmus-live.v1"
MAX_CLIENT_MESSAGE = 64 * 1024
MAX_SERVER_FRAME = 512 * 1024
MAX_CLOSE_REASON = 123  # bytes of UTF-8: a close frame's payload is 125 bytes, 2 of them the code


class CloseCode(enum.IntEnum):
    """Every code the server closes with; PROTOCOL.md §7 says which ones a client resumes after."""

    NORMAL = 1000
    GOING_AWAY = 1001
    MESSAGE_TOO_BIG = 1009
    INTERNAL_ERROR = 1011
    BAD_MESSAGE = 4400
    UNAUTHORIZED = 4401
    ORIGIN_FORBIDDEN = 4403
    UNSUPPORTED_PROTOCOL = 4406
    SLOW_CONSUMER = 4408
    KEEPALIVE_TIMEOUT = 4409
    MESSAGE_TOO_LARGE = 4413
    TOO_MANY = 4429


# After these a client reconnects (with backoff) and resumes from the last seq it holds; after
# any other code it stops and reports the error (PROTOCOL.md §7). 1006 is never sent: a client
# sees it when the connection died without a close frame (a crash, a network cut).
RESUMABLE_CLOSES = frozenset(
    {
        CloseCode.GOING_AWAY,
        1006,
        CloseCode.INTERNAL_ERROR,
        1012,
        CloseCode.SLOW_CONSUMER,
        CloseCode.KEEPALIVE_TIMEOUT,
    }
)


class ErrorCode(enum.StrEnum):
    BAD_MESSAGE = "bad_message"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    ORIGIN_FORBIDDEN = "origin_forbidden"
    HOST_FORBIDDEN = "host_forbidden"
    TOO_MANY_CONNECTIONS = "too_many_connections"
    RATE_LIMITED = "rate_limited"
    UNSUPPORTED_PROTOCOL = "unsupported_protocol"
    SLOW_CONSUMER = "slow_consumer"
    MESSAGE_TOO_LARGE = "message_too_large"
    RUN_NOT_FOUND = "run_not_found"
    NOT_SUBSCRIBED = "not_subscribed"
    PROMPT_NOT_FOUND = "prompt_not_found"
    PROMPT_ALREADY_ANSWERED = "prompt_already_answered"
    INVALID_ANSWER = "invalid_answer"
    STORE_UNAVAILABLE = "store_unavailable"


RunId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
RequestId = Annotated[str, msgspec.Meta(max_length=64)]
Seq = Annotated[int, msgspec.Meta(ge=0)]


class _Message(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    pass


# -- client -> server --------------------------------------------------------------------


class Subscribe(_Message, kw_only=True, tag="subscribe"):
    run_id: RunId
    since_seq: Seq = 0
    id: RequestId | None = None
    # channel readings only, for telemetry walls: no log records but the final `complete`
    channels_only: bool = False
    # the `epoch` of the subscription since_seq came from; another one than the run's: resync
    epoch: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class Unsubscribe(_Message, kw_only=True, tag="unsubscribe"):
    run_id: RunId
    id: RequestId | None = None


class AnswerVia(enum.StrEnum):
    """The routes a client may name in a prompt_response (`auto` is the server's own, never a client's)."""

    UI = "ui"
    SCRIPT = "script"
    TERMINAL = "terminal"


class PromptResponse(_Message, kw_only=True, tag="prompt_response"):
    id: RequestId
    run_id: RunId
    prompt_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    # any JSON value: whether it fits is the prompt's business (an in-band invalid_answer),
    # never a protocol violation
    value: Any
    who: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    via: AnswerVia = AnswerVia.SCRIPT


class SubscribeActive(_Message, kw_only=True, tag="subscribe_active"):
    id: RequestId | None = None


class UnsubscribeActive(_Message, kw_only=True, tag="unsubscribe_active"):
    id: RequestId | None = None


class SubscribeFinished(_Message, kw_only=True, tag="subscribe_finished"):
    id: RequestId | None = None


class UnsubscribeFinished(_Message, kw_only=True, tag="unsubscribe_finished"):
    id: RequestId | None = None


ClientMessage = (
    Subscribe | Unsubscribe | PromptResponse | SubscribeActive | UnsubscribeActive | SubscribeFinished
    | UnsubscribeFinished
)  # fmt: skip


# -- server -> client --------------------------------------------------------------------


class Welcome(_Message, kw_only=True, tag="welcome"):
    protocol: str = SUBPROTOCOL
    server: str
    # the server's clock when it said welcome: deadlines and `ts` are on this clock
    server_time: dt.datetime


class Subscribed(_Message, kw_only=True, tag="subscribed"):
    run_id: str
    since_seq: int
    head_seq: int
    status: Status
    id: str | None = None
    # which history of the run the store holds; "" where committed records are never lost
    epoch: str = ""
    # true when the `epoch` sent was another history, or (sent unasked, no `id`) the run's log
    # got a new epoch under a live subscription: the whole log follows, from seq 1
    resync: bool = False


class Unsubscribed(_Message, kw_only=True, tag="unsubscribed"):
    run_id: str
    id: str | None = None


class PromptAccepted(_Message, kw_only=True, tag="prompt_accepted"):
    id: str
    run_id: str
    prompt_id: str


class ActiveRun(msgspec.Struct, frozen=True, kw_only=True):
    run_id: str
    test_path: str
    uut_serial: str
    operator: str
    station: str
    created_at: dt.datetime
    status: Status
    total: int
    done: int
    current_step: str | None
    prompts_waiting: int
    # the `prompt` records still waiting, oldest first: enough to answer without subscribing
    prompts: list[Prompt] = msgspec.field(default_factory=list)


class ActiveRuns(_Message, kw_only=True, tag="active_runs"):
    runs: list[ActiveRun]


class RunFinished(_Message, kw_only=True, tag="run_finished"):
    """A run ended (to `subscribe_finished` connections): its verdict, as GET /api/runs lists it."""

    run_id: str
    test_path: str
    uut_serial: str
    operator: str
    station: str
    created_at: dt.datetime
    finished_at: dt.datetime | None
    status: Status
    exit_code: int | None
    reason: str
    total: int
    done: int
    passed: int
    failed: int
    skipped: int
    errors: int
    last_seq: int


Reading = float | bool | str


class ChannelState(msgspec.Struct, frozen=True, kw_only=True):
    """One channel: totals since the run began, and history points new in this message."""

    name: str
    unit: str
    count: int
    last: Reading | None
    last_t: float | None
    min: float | None
    max: float | None
    # [t, value] pairs, t in epoch seconds; the whole history in a snapshot, else what is new
    points: list[tuple[float, Reading]]
    # the limits the test declared for the channel (drawn on its sparkline); null when none
    low: float | None = None
    high: float | None = None


class Channels(_Message, kw_only=True, tag="channels"):
    run_id: str
    is_snapshot: bool
    channels: list[ChannelState]


class Error(_Message, kw_only=True, tag="error"):
    code: ErrorCode
    message: str
    id: str | None = None
    run_id: str | None = None


ServerMessage = (
    Welcome
    | Subscribed
    | Unsubscribed
    | PromptAccepted
    | ActiveRuns
    | RunFinished
    | Channels
    | Error
    | Event
    | Progress
    | Prompt
    | Complete
)

_client_decoder = msgspec.json.Decoder(ClientMessage)
_encoder = msgspec.json.Encoder()


class BadMessage(ValueError):
    """A client frame that is not a v1 message: why, and the request's `id` and `run_id`
    whenever they could be read (so the `error` can echo them)."""

    def __init__(self, message: str, *, id: str | None = None, run_id: str | None = None) -> None:
        super().__init__(message)
        self.message, self.id, self.run_id = message, id, run_id


class _Echo(msgspec.Struct):
    id: object = None
    run_id: object = None


_echo_decoder = msgspec.json.Decoder(_Echo)


def decode_client(data: str | bytes) -> ClientMessage:
    """Decode one client message; raises BadMessage saying what was wrong and where."""
    try:
        return _client_decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise BadMessage(f"invalid message: {in_words(exc)}", **_echo(data)) from None
    except msgspec.DecodeError as exc:
        raise BadMessage(f"malformed JSON: {in_words(exc)}") from None
    except UnicodeDecodeError as exc:
        raise BadMessage(f"malformed JSON: not valid UTF-8 at byte {exc.start}") from None
    except RecursionError:
        raise BadMessage("malformed JSON: nested too deeply") from None


def _echo(data: str | bytes) -> dict[str, str]:
    """The request's `id` and `run_id`, where they are strings of at most 64 characters."""
    try:
        echo = _echo_decoder.decode(data)
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return {}
    fields = {"id": echo.id, "run_id": echo.run_id}
    return {k: v for k, v in fields.items() if isinstance(v, str) and len(v) <= 64}


def close_reason(text: str) -> str:
    """`text` cut to fit a close frame: at most 123 bytes of UTF-8, never inside a character."""
    return text.encode()[:MAX_CLOSE_REASON].decode(errors="ignore")


def encode(message: ServerMessage) -> bytes:
    return _encoder.encode(message)


def frames(encoded: list[bytes], max_bytes: int = MAX_SERVER_FRAME) -> list[str]:
    """Text frames for messages already encoded, in order: each one message or an array of
    them, at most about `max_bytes` (a single larger message gets a frame of its own)."""
    if sum(map(len, encoded)) + len(encoded) <= max_bytes:
        return [_frame(encoded)]
    out: list[str] = []
    group: list[bytes] = []
    size = 0
    for message in encoded:
        if group and size + len(message) > max_bytes:
            out.append(_frame(group))
            group, size = [], 0
        group.append(message)
        size += len(message) + 1
    if group:
        out.append(_frame(group))
    return out


def _frame(group: list[bytes]) -> str:
    if len(group) == 1:
        return group[0].decode()
    return (b"[" + b",".join(group) + b"]").decode()


def encode_client(message: ClientMessage) -> str:
    return _encoder.encode(message).decode()
