"""One Settings struct, read once: defaults, then LITMUS_* environment variables, then CLI flags."""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import sys
from pathlib import Path
from typing import Annotated

import msgspec

from litmus_live.wording import in_words


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("data")
    tests: Path = Path("examples")
    # Browser origins allowed besides the server's own (e.g. a dashboard on another port):
    # they may read; they may change something only with an API token.
    allowed_origins: frozenset[str] = frozenset()
    # Who is asked for credentials: on (the default), or off (a loopback bind only).
    auth: bool = True
    # The URLs people use to reach this server; its own origins and host names follow from
    # them. Default: the bind address (and localhost for a loopback bind).
    public_urls: tuple[str, ...] = ()
    # Host names (with :port) accepted besides those of public_urls (a proxy's, say).
    allowed_hosts: frozenset[str] = frozenset()
    # Per client address: open WebSocket connections, HTTP requests and WS messages per second.
    max_connections: int = 256
    request_rate: float = 100.0
    message_rate: float = 200.0
    # Static SPA to serve (frontend/dist); None serves the API and protocol only.
    static_dir: Path | None = None
    # PROTOCOL.md, schema.json, asyncapi.yaml and the examples, served at /protocol/.
    protocol_dir: Path = Path(__file__).resolve().parents[2] / "protocol"
    # Group commit: at most one store transaction per interval (seconds).
    commit_interval: float = 0.002
    # How long a record of a steady stream may wait for its group commit to start (seconds):
    # longer saves fsyncs (CPU) for a longer wait, shorter the reverse (store/window.py).
    commit_window: Annotated[float, msgspec.Meta(ge=0, le=1)] = 0.002
    # fsync every commit (SQLite synchronous=FULL); off trades power-loss safety for speed.
    durable: bool = True
    # A connection that accepts nothing for this long is dropped (close 4408).
    send_timeout: float = 15.0
    # Keep-alive: a ping this often; a peer that does not answer within as long is dropped (4409).
    ping_interval: float = 20.0
    # After SIGINT, how long an aborted test process gets before it is killed.
    abort_grace: float = 5.0
    # While the store cannot commit, records wait in memory up to this many MiB or seconds;
    # past either, the live runs are stopped (ERROR, with the reason).
    max_pending_mib: int = 64
    max_outage: float = 60.0
    # The station's Python, which runs the tests (its environment, its packages); default: the server's.
    python: str = sys.executable
    # The event store: "" is SQLite in data_dir; redis://host:port/db is a fleet's shared store.
    store: str = ""
    # The name this node runs tests under in a fleet; "" makes it a viewer-only node.
    station: str = ""
    # Seconds between a fleet node's heartbeats; a node silent for 5 of them is offline.
    heartbeat: float = 2.0

    def __post_init__(self) -> None:
        if self.store and not self.store.startswith("redis://"):
            raise ValueError(f"the store must be empty (SQLite) or redis://host:port/db, got {self.store}")
        if self.station and not self.store:
            raise ValueError(f"--station {self.station} names a node of a fleet: it needs --store redis://...")

    @property
    def db_path(self) -> Path:
        return self.data_dir / "litmus.sqlite3"

    @property
    def is_loopback(self) -> bool:
        return is_loopback(self.host)

    def own_urls(self) -> tuple[str, ...]:
        """public_urls, or what the bind address implies."""
        if self.public_urls:
            return tuple(u.rstrip("/") for u in self.public_urls)
        if self.is_loopback:
            return (f"http://127.0.0.1:{self.port}", f"http://localhost:{self.port}", f"http://[::1]:{self.port}")
        if self.host in ("0.0.0.0", "::", ""):
            return (
                f"http://127.0.0.1:{self.port}",
                f"http://localhost:{self.port}",
                f"http://{socket.gethostname()}:{self.port}",
            )
        return (f"http://{self.host}:{self.port}",)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_ENV = {
    "host": "LITMUS_HOST",
    "port": "LITMUS_PORT",
    "data_dir": "LITMUS_DATA_DIR",
    "tests": "LITMUS_TESTS",
    "allowed_origins": "LITMUS_ALLOWED_ORIGINS",
    "static_dir": "LITMUS_STATIC_DIR",
    "protocol_dir": "LITMUS_PROTOCOL_DIR",
    "abort_grace": "LITMUS_ABORT_GRACE",
    "send_timeout": "LITMUS_SEND_TIMEOUT",
    "ping_interval": "LITMUS_PING_INTERVAL",
    "max_pending_mib": "LITMUS_MAX_PENDING_MIB",
    "max_outage": "LITMUS_MAX_OUTAGE",
    "python": "LITMUS_PYTHON",
    "auth": "LITMUS_AUTH",
    "public_urls": "LITMUS_PUBLIC_URL",
    "allowed_hosts": "LITMUS_ALLOWED_HOSTS",
    "max_connections": "LITMUS_MAX_CONNECTIONS",
    "request_rate": "LITMUS_REQUEST_RATE",
    "message_rate": "LITMUS_MESSAGE_RATE",
    "store": "LITMUS_STORE",
    "station": "LITMUS_STATION",
    "heartbeat": "LITMUS_HEARTBEAT",
    "commit_window": "LITMUS_COMMIT_WINDOW",
}
_LISTS = {"allowed_origins", "public_urls", "allowed_hosts"}


def load(**overrides: object) -> Settings:
    """Settings from the environment, with `overrides` (CLI flags; None means unset) on top."""
    values: dict[str, object] = {}
    for field, var in _ENV.items():
        if var in os.environ:
            raw = os.environ[var]
            values[field] = [v.strip() for v in raw.split(",") if v.strip()] if field in _LISTS else raw
    values.update({k: v for k, v in overrides.items() if v is not None})
    if isinstance(values.get("auth"), str):
        values["auth"] = {"on": True, "off": False}.get(str(values["auth"]).lower(), values["auth"])
    try:
        return msgspec.convert(values, Settings, strict=False, dec_hook=_dec_hook)
    except msgspec.ValidationError as exc:
        raise SettingsError(_refusal(exc, values, overrides)) from None


class SettingsError(ValueError):
    """A setting that cannot be used: which one (its variable or flag), what arrived, what was expected."""


def _refusal(exc: msgspec.ValidationError, values: dict[str, object], overrides: dict[str, object]) -> str:
    why, _, where = in_words(exc).partition(" - at `$.")
    why = why.split(", got `")[0]  # what arrived is shown as it was given (a variable's text)
    field = where.split("`")[0].split(".")[0].split("[")[0]
    if field not in values:
        return f"invalid settings: {why}"
    source = f"--{field.replace('_', '-')}" if overrides.get(field) is not None else _ENV.get(field, field)
    return f"invalid setting {source} = {json.dumps(str(values[field]), ensure_ascii=False)}: {why[0].lower()}{why[1:]}"


def _dec_hook(type_: type, obj: object) -> object:
    if type_ is Path and isinstance(obj, (str, os.PathLike)):
        return Path(obj)

    raise NotImplementedError(type_)  # msgspec then says what it expected, where
