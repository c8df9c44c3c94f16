"""§9: the HTTP endpoints: unknown runs, limits of 0, the run list's cursor and filters,
launch refusals, and the protocol's own files served by the server."""

from __future__ import annotations

import urllib.parse
import uuid

import pytest

RUN_ENDPOINTS = ["", "/output", "/tail", "/tail?lines=0", "/channels", "/channels/any/samples.csv"]


@pytest.mark.parametrize("suffix", RUN_ENDPOINTS)
def test_every_run_endpoint_answers_an_unknown_run_with_404_run_not_found(http, suffix: str) -> None:
    status, body = http.request("GET", f"/api/runs/no-such-run{suffix}")
    assert (status, body["error"]["code"]) == (404, "run_not_found")


def test_abort_and_the_list_cursor_answer_an_unknown_run_with_404_run_not_found(http) -> None:
    for method, path in [("POST", "/api/runs/no-such-run/abort"), ("GET", "/api/runs?before=no-such-run")]:
        status, body = http.request(method, path)
        assert (status, body["error"]["code"]) == (404, "run_not_found"), path


async def test_limit_0_lists_no_runs_and_lines_0_tails_no_lines(connect, http, launch, prompt_test) -> None:
    run_id = launch(prompt_test)  # waits at its first prompt: live while we look
    peer = await connect()
    await peer.send({"type": "subscribe", "run_id": run_id})
    await peer.until(lambda m: m["type"] == "prompt")
    assert http.request("GET", "/api/runs?limit=0") == (200, [])
    status, body = http.request("GET", f"/api/runs/{run_id}/tail?lines=0")
    assert (status, body["lines"]) == (200, [])
    status, body = http.request("GET", f"/api/runs/{run_id}/tail?lines=1")
    assert status == 200 and len(body["lines"]) == 1


async def test_the_run_list_filters_by_serial_and_pages_with_before(connect, http, launch, plain_test) -> None:
    serial = f"SN-{uuid.uuid4().hex[:8]}"
    launched = [launch(plain_test, serial) for _ in range(3)]
    peer = await connect()
    for run_id in launched:
        await peer.records(run_id, request_id=run_id)
    status, runs = http.request("GET", f"/api/runs?serial={serial}")
    assert status == 200 and [r["run_id"] for r in runs] == launched[::-1]
    pages, page = [], [r["run_id"] for r in http.request("GET", f"/api/runs?serial={serial}&limit=2")[1]]
    while page:
        pages.append(page)
        page = [r["run_id"] for r in http.request("GET", f"/api/runs?serial={serial}&limit=2&before={page[-1]}")[1]]
    assert pages == [launched[:0:-1], launched[:1]]
    status, runs = http.request("GET", f"/api/runs?serial={serial}&status=ABORTED")
    assert (status, runs) == (200, [])


@pytest.mark.parametrize("field", ["uut_serial", "operator", "station"])
def test_a_control_character_in_a_launch_is_refused(http, plain_test, field: str) -> None:
    body = {"test_path": plain_test, "uut_serial": "SN", field: "SN\u00007"}
    status, reply = http.request("POST", "/api/runs", body)
    assert (status, reply["error"]["code"]) == (400, "bad_request") and field in reply["error"]["message"]


def test_a_name_over_255_bytes_in_a_test_path_is_refused_with_400(http, station) -> None:
    body = {"test_path": "x" * 300 + ".py", "uut_serial": "SN", **station}
    status, reply = http.request("POST", "/api/runs", body)
    assert (status, reply["error"]["code"]) == (400, "invalid_test_path")


def test_the_server_serves_its_protocol_document_schema_and_asyncapi(http) -> None:
    status, text = http.request("GET", "/protocol/PROTOCOL.md")
    assert status == 200 and text.startswith("# Litmus Live protocol")
    status, schema = http.request("GET", "/protocol/schema.json")
    assert status == 200 and {"ClientMessage", "ServerMessage"} <= set(schema["$defs"])
    status, text = http.request("GET", "/protocol/asyncapi.yaml")
    assert status == 200 and "asyncapi: 3.0.0" in text


def test_the_live_url_of_a_launch_answers(http, launch, plain_test, station) -> None:
    body = {"test_path": plain_test, "uut_serial": "SN-LIVE-URL", **station}
    status, body = http.request("POST", "/api/runs", body)
    assert status == 201
    status, _ = http.request("GET", body["live_url"])
    assert status == 200
    http.request("POST", f"/api/runs/{body['run_id']}/abort")


async def test_the_run_list_filters_by_station_test_path_and_time(connect, http, launch, plain_test, station) -> None:
    # in a fleet a station names a node: the run keeps the one it got, and its serial keeps it apart
    serial = f"SN-{uuid.uuid4().hex[:8]}"
    status, body = http.request("POST", "/api/runs", {"test_path": plain_test, "uut_serial": serial, **station})
    assert status == 201, body
    run_id = body["run_id"]
    await (await connect()).records(run_id)
    _, [run] = http.request("GET", f"/api/runs?serial={serial}")
    assert (run["run_id"], run["test_path"]) == (run_id, plain_test)
    at = urllib.parse.quote(run["created_at"])
    for query, expected in [
        (f"station={urllib.parse.quote(run['station'])}", [run_id]),
        (f"station=not-{uuid.uuid4().hex[:8]}", []),
        (f"test_path={urllib.parse.quote(plain_test)}", [run_id]),
        ("test_path=no/such/test.py", []),
        (f"since={at}", [run_id]),  # since <= created_at
        (f"until={at}", []),  # created_at < until
        ("since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z", []),
    ]:
        status, runs = http.request("GET", f"/api/runs?serial={serial}&{query}")
        assert (status, [r["run_id"] for r in runs]) == (200, expected), query


async def test_a_test_that_does_not_exist_in_an_existing_file_is_accepted_and_ends_usage_error(
    connect, launch, plain_test
) -> None:
    run_id = launch(f"{plain_test.split('::')[0]}::test_that_does_not_exist")
    _, records = await (await connect()).records(run_id)
    complete = records[-1]
    path = plain_test.split("::")[0]
    expected = f"usage error: not found: {path}::test_that_does_not_exist"  # pytest's own words, after §4.5's
    assert (complete["status"], complete["exit_code"], complete["reason"]) == ("ERROR", 4, expected)


def test_the_server_serves_the_protocols_examples(http) -> None:
    status, text = http.request("GET", "/protocol/examples/dashboard.mjs", token=None)
    assert status == 200 and "litmus-live.v1" in text
