"""Generates protocol/schema.json (JSON Schema of every v1 message) from the Structs.

`python -m litmus_live.schema PATH` writes it; `--check` exits 1 when PATH is stale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import msgspec

from litmus_live import api
from litmus_live import protocol as p

# Bodies of the HTTP API (PROTOCOL.md §9), so clients can generate their types too.
HTTP_SHAPES = [api.LaunchBody, api.Launched, api.RunView, api.HttpError, api.TestList]


def build() -> dict:
    (client, server, *_), components = msgspec.json.schema_components(
        [p.ClientMessage, p.ServerMessage, *HTTP_SHAPES], ref_template="#/$defs/{name}"
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://litmus.live/protocol/v1/schema.json",
        "title": f"Litmus Live protocol ({p.SUBPROTOCOL})",
        "description": (
            "Every message of protocol v1 (a frame holds one message or an array of them),"
            " and the bodies of the HTTP API: LaunchBody, Launched, RunView, HttpError, TestList."
        ),
        "$defs": {
            **components,
            "ClientMessage": client,
            "ServerMessage": server,
        },
        "oneOf": [{"$ref": "#/$defs/ClientMessage"}, {"$ref": "#/$defs/ServerMessage"}],
    }


def render() -> str:
    return msgspec.json.format(msgspec.json.encode(build()), indent=2).decode() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--check", action="store_true", help="fail when the file is not up to date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not args.path.exists() or args.path.read_text() != text:
            print(f"{args.path} is stale: run `make protocol` and commit the result", file=sys.stderr)
            return 1
        return 0
    args.path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
