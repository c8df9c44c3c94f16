"""The generated contract: schema.json and asyncapi.yaml describe every message, and are current."""

from __future__ import annotations

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
