"""The generated contract: schema.json and asyncapi.yaml describe every message, and are current."""

from __future__ import annotations

import datetime as dt
import typing
from pathlib import Path

import yaml

from litmus_live import protocol as p
from litmus_live import schema

PROTOCOL = Path(__file__).resolve().parents[2] / "protocol"


def test_the_committed_artefacts_are_current() -> None:
    assert (PROTOCOL / "schema.json").read_text() == schema.render()
    assert (PROTOCOL / "asyncapi.yaml").read_text() == schema.render_asyncapi()


def test_asyncapi_has_an_operation_per_message_in_the_right_direction() -> None:
    document = yaml.safe_load(schema.render_asyncapi())
    operations = document["operations"]
    for cls in typing.get_args(p.ClientMessage):
        assert operations[f"receive{cls.__name__}"]["action"] == "receive"
    for cls in typing.get_args(p.ServerMessage):
        assert operations[f"send{cls.__name__}"]["action"] == "send"
    tags = {m["name"] for m in document["components"]["messages"].values()}
    assert {"subscribe", "prompt_response", "event", "channels", "complete", "error"} <= tags
    assert document["components"]["schemas"]["Event"]["properties"]["data"]["discriminator"] == "kind"


def _strings(node: dict) -> list[dict]:
    return [choice for choice in node.get("anyOf", [node]) if choice.get("type") == "string"]


def test_every_time_on_the_wire_is_a_date_time_and_nothing_else_is() -> None:
    strings = {
        (name, field): _strings(node)
        for name, shape in schema.build()["$defs"].items()
        for field, node in shape.get("properties", {}).items()
    }
    times = {key for key, choices in strings.items() if any(c.get("format") == "date-time" for c in choices)}
    assert {("Event", "ts"), ("Progress", "ts"), ("Complete", "ts"), ("Prompt", "deadline"), ("Welcome", "server_time"),
            ("RunView", "created_at"), ("RunView", "finished_at"), ("TokenInfo", "last_used_at")} <= times  # fmt: skip
    named = {(n, f) for (n, f), c in strings.items() if c and (f in ("ts", "deadline", "server_time", "at", "last_seen")
             or f.endswith("_at"))}  # fmt: skip
    assert named == times
    asyncapi = yaml.safe_load(schema.render_asyncapi())["components"]["schemas"]
    assert _strings(asyncapi["Prompt"]["properties"]["deadline"]) == [{"type": "string", "format": "date-time"}]


def test_a_time_is_encoded_as_it_was_before_the_schema_named_its_format() -> None:
    welcome = p.Welcome(server="test", server_time=dt.datetime(2026, 11, 24, 3, 26, 38, 760490, tzinfo=dt.UTC))
    assert b'"server_time":"2026-11-24T03:26:38.760490Z"' in p.encode(welcome)
