"""Generates the protocol's machine-readable contract from the Structs: protocol/schema.json
(JSON Schema of every v1 message and HTTP body) and protocol/asyncapi.yaml (AsyncAPI 3.0).

`python -m litmus_live.schema DIR` writes both; `--check` exits 1 when either is stale, and
with `--asyncapi-spec` also validates the AsyncAPI document against the official schema.
"""

from __future__ import annotations

import argparse
import json
import sys
import typing
from pathlib import Path

import jsonschema
import msgspec
import yaml

from litmus_live import __version__, bodies
from litmus_live import protocol as p
from litmus_live.auth import admin, routes, store
from litmus_live.fleet.stations import Station

# Every request and reply body of the HTTP API (PROTOCOL.md §9 names each one), so clients can
# generate their types and check what they receive.
HTTP_SHAPES = [
    bodies.LaunchBody, bodies.Launched, bodies.RunView, bodies.Tail, bodies.Aborting, bodies.ChannelCounts,
    bodies.TestList, Station, bodies.Health, bodies.HttpError,
    routes.SignIn, routes.Me, store.User, admin.NewUser, admin.UserChange, store.TokenInfo, admin.NewToken,
    admin.IssuedToken, store.AuditEntry,
]  # fmt: skip


def build() -> dict:
    shapes = [p.ClientMessage, p.ServerMessage, *HTTP_SHAPES]
    (client, server, *_), components = msgspec.json.schema_components(shapes, ref_template="#/$defs/{name}")
    _mark_times(components, shapes)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://litmus.live/protocol/v1/schema.json",
        "title": f"Litmus Live protocol ({p.SUBPROTOCOL})",
        "description": (
            "Every message of protocol v1 (a frame holds one message or an array of them),"
            f" and every body of the HTTP API: {', '.join(shape.__name__ for shape in HTTP_SHAPES)}."
        ),
        "$defs": {
            **components,
            "ClientMessage": client,
            "ServerMessage": server,
        },
        "oneOf": [{"$ref": "#/$defs/ClientMessage"}, {"$ref": "#/$defs/ServerMessage"}],
    }


def build_asyncapi() -> dict:
    """The WebSocket API as AsyncAPI 3.0, from the server's point of view."""
    received, sent = typing.get_args(p.ClientMessage), typing.get_args(p.ServerMessage)
    _, schemas = msgspec.json.schema_components([*received, *sent], ref_template="#/components/schemas/{name}")
    _mark_times(schemas, [*received, *sent])
    schemas = _as_asyncapi_schema(schemas)
    messages = {cls.__name__: _message(cls) for cls in (*received, *sent)}
    channel = {"$ref": "#/channels/protocol"}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Litmus Live protocol",
            "version": __version__,
            "description": (
                f"WebSocket protocol {p.SUBPROTOCOL} (the subprotocol names the version). protocol/PROTOCOL.md is the"
                " prose contract; a server frame carries one message or a JSON array of them, in order."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {"local": {"host": "127.0.0.1:8000", "protocol": "ws", "pathname": "/ws"}},
        "channels": {
            "protocol": {
                "address": "/ws",
                "title": f"One connection, subprotocol {p.SUBPROTOCOL}",
                "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages},
            }
        },
        "operations": {
            **{_op("receive", c): _operation("receive", c, channel) for c in received},
            **{_op("send", c): _operation("send", c, channel) for c in sent},
        },
        "components": {"messages": messages, "schemas": schemas},
    }


def _mark_times(components: dict, shapes: list) -> None:
    """Every datetime field's string says `"format": "date-time"` (RFC 3339, as msgspec writes it):
    msgspec's schema gives a plain string, the bytes on the wire are the same either way."""
    for name, field in _time_fields(msgspec.inspect.multi_type_info(shapes), set()):
        node = components[name]["properties"][field]
        for choice in node.get("anyOf", [node]):
            if choice.get("type") == "string":
                choice["format"] = "date-time"


def _time_fields(infos: typing.Iterable[msgspec.inspect.Type], seen: set) -> typing.Iterator[tuple[str, str]]:
    """(Struct name, field name) of every datetime field reachable from `infos`."""
    for info in map(_bare, infos):
        if isinstance(info, msgspec.inspect.StructType) and info.cls not in seen:
            seen.add(info.cls)
            for field in info.fields:
                if any(isinstance(_bare(t), msgspec.inspect.DateTimeType) for t in _choices(_bare(field.type))):
                    yield info.cls.__name__, field.encode_name
            yield from _time_fields([f.type for f in info.fields], seen)
        else:
            yield from _time_fields(_inner(info), seen)


def _bare(info: msgspec.inspect.Type) -> msgspec.inspect.Type:
    return info.type if isinstance(info, msgspec.inspect.Metadata) else info


def _choices(info: msgspec.inspect.Type) -> tuple:
    return info.types if isinstance(info, msgspec.inspect.UnionType) else (info,)


def _inner(info: msgspec.inspect.Type) -> list:
    """The types a union, a collection or a mapping holds."""
    if isinstance(info, msgspec.inspect.UnionType):
        return list(info.types)
    if isinstance(info, msgspec.inspect.TupleType):
        return list(info.item_types)
    if isinstance(info, msgspec.inspect.DictType):
        return [info.value_type]
    return [info.item_type] if isinstance(info, msgspec.inspect.CollectionType) else []


def _as_asyncapi_schema(node: object) -> object:
    """JSON Schema as msgspec writes it, with AsyncAPI's discriminator (a property name, not
    OpenAPI's {propertyName, mapping} object)."""
    if isinstance(node, list):
        return [_as_asyncapi_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _as_asyncapi_schema(value) for key, value in node.items()}
    if isinstance(out.get("discriminator"), dict):
        out["discriminator"] = out["discriminator"]["propertyName"]
    return out


def _message(cls: type) -> dict:
    doc = (cls.__doc__ or "").strip().splitlines()
    out = {"name": cls.__struct_config__.tag, "payload": {"$ref": f"#/components/schemas/{cls.__name__}"}}
    return {**out, "summary": doc[0]} if doc else out


def _op(action: str, cls: type) -> str:
    return f"{action}{cls.__name__}"


def _operation(action: str, cls: type, channel: dict) -> dict:
    who = "a client sends" if action == "receive" else "the server sends"
    return {
        "action": action,
        "channel": channel,
        "summary": f"`{cls.__struct_config__.tag}`: {who} it (PROTOCOL.md)",
        "messages": [{"$ref": f"#/channels/protocol/messages/{cls.__name__}"}],
    }


def render() -> str:
    return msgspec.json.format(msgspec.json.encode(build()), indent=2).decode() + "\n"


def render_asyncapi() -> str:
    header = "# Generated from backend/litmus_live/protocol.py by `make protocol`; do not edit.\n"
    return header + yaml.safe_dump(build_asyncapi(), sort_keys=False, allow_unicode=True, width=100)


def validate_asyncapi(document: dict, spec: Path) -> None:
    """Raise jsonschema.ValidationError when `document` breaks the AsyncAPI 3.0 schema."""
    jsonschema.validate(document, json.loads(spec.read_text()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dir", type=Path, help="the protocol folder")
    parser.add_argument("--check", action="store_true", help="fail when a file is not up to date")
    parser.add_argument("--asyncapi-spec", type=Path, help="AsyncAPI 3.0 JSON Schema to validate against")
    args = parser.parse_args(argv)
    artefacts = {args.dir / "schema.json": render(), args.dir / "asyncapi.yaml": render_asyncapi()}
    if args.asyncapi_spec is not None:
        validate_asyncapi(build_asyncapi(), args.asyncapi_spec)
    if not args.check:
        for path, text in artefacts.items():
            path.write_text(text)
        return 0
    stale = [str(path) for path, text in artefacts.items() if not path.exists() or path.read_text() != text]
    if stale:
        print(f"stale: {', '.join(stale)}: run `make protocol` and commit the result", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
