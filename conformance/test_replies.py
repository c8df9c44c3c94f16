"""§1, §9: every HTTP reply PROTOCOL.md documents, success and refusal, is the body schema.json
names for it (an `HttpError` for every 4xx), and every error message is in words."""

from __future__ import annotations

import urllib.parse
import uuid

import pytest
import websockets
from conftest import SUBPROTOCOL, Peer


class Api:
    """HTTP requests whose replies are held to their status and to their body in schema.json."""

    def __init__(self, http, contract) -> None:
        self.http, self.contract = http, contract

    def is_admin(self) -> bool:
        """Whether the suite's token is an admin's (else the admin endpoints must say forbidden)."""
        return self.http.request("GET", "/api/session")[1]["role"] == "admin"

    def reply(self, method: str, path: str, expected: tuple[int, str], body: object = None, **options: object):
        """The reply's body; `expected` is (status, its definition): `"[Name]"` an array of them,
        `"text/…"` not JSON but of that type, `""` no body to check."""
        status, got = self.http.request(method, path, body, **options)
        want_status, shape = expected
        assert status == want_status, f"{method} {path}: {status} {got}"
        if shape.startswith("text/"):
            assert self.http.last_headers.get("content-type", "").startswith(shape), self.http.last_headers
        elif shape:
            self.contract.check(shape.strip("[]"), got, many=shape.startswith("["))
        return got

    def refused(self, method: str, path: str, expected: tuple[int, str], body: object = None, **options: object):
        """A refusal: `expected` is (status, code) of an HttpError; its message."""
        status, code = expected
        got = self.reply(method, path, (status, "HttpError"), body, **options)
        assert got["error"]["code"] == code, got
        return got["error"]["message"]


@pytest.fixture
def api(http, contract) -> Api:
    return Api(http, contract)


async def live(connect, launch, prompt_test) -> str:
    """A run held live at its first prompt."""
    run_id = launch(prompt_test)
    peer = await connect()
    await peer.send({"type": "subscribe", "run_id": run_id})
    await peer.until(lambda m: m["type"] == "prompt")
    return run_id


def test_launching_answers_launched_or_says_why_not(api, plain_test, station) -> None:
    body = {"test_path": plain_test, "uut_serial": "SN", **station}
    launched = api.reply("POST", "/api/runs", (201, "Launched"), body)
    assert launched["live_url"]
    api.reply("GET", launched["live_url"], (200, "text/html"))
    bad = [
        ({"test_path": plain_test}, "uut_serial"),  # missing
        ({"test_path": plain_test, "uut_serial": 7}, "uut_serial"),  # a number
        ({"test_path": plain_test, "uut_serial": " "}, "uut_serial"),  # nothing visible
        ({"test_path": plain_test, "uut_serial": "SN", "colour": "red"}, "colour"),  # unknown
        (["not", "an", "object"], "object"),
    ]
    for body, named in bad:
        assert named in api.refused("POST", "/api/runs", (400, "bad_request"), body), body
    missing = {"test_path": "no/such/test_file.py", "uut_serial": "SN", **station}
    assert "test root" in api.refused("POST", "/api/runs", (400, "invalid_test_path"), missing)
    api.refused("POST", "/api/runs", (413, "body_too_large"), {"test_path": "x" * 70_000, "uut_serial": "S"})
    form = {"Content-Type": "text/plain"}
    api.refused("POST", "/api/runs", (415, "unsupported_media_type"), data=b"test_path=x", headers=form)


async def test_reading_runs_answers_run_views_and_404_for_unknown_ones(api, connect, launch, plain_test):
    serial = f"SN-{uuid.uuid4().hex[:8]}"  # other clients may launch meanwhile
    run_id = launch(plain_test, serial)
    await (await connect()).records(run_id)
    runs = api.reply("GET", f"/api/runs?limit=5&serial={serial}", (200, "[RunView]"))
    assert [r["run_id"] for r in runs] == [run_id]
    view = api.reply("GET", f"/api/runs/{run_id}", (200, "RunView"))
    assert (view["run_id"], view["is_live"]) == (run_id, False)
    api.reply("GET", f"/api/runs/{run_id}/output", (200, "text/plain"))
    for query in ("limit=x", "limit=1001", "status=DONE", "since=yesterday"):
        api.refused("GET", f"/api/runs?{query}", (400, "bad_request"))
    api.refused("GET", "/api/runs?before=no-such-run", (404, "run_not_found"))
    for suffix in ("", "/output", "/tail", "/channels", "/channels/any/samples.csv"):
        message = api.refused("GET", f"/api/runs/no-such-run{suffix}", (404, "run_not_found"))
        assert "no-such-run" in message
    api.refused("POST", "/api/runs/no-such-run/abort", (404, "run_not_found"))


async def test_tail_and_abort_answer_a_live_run_then_409_once_it_ended(api, connect, launch, prompt_test):
    run_id = await live(connect, launch, prompt_test)
    tail = api.reply("GET", f"/api/runs/{run_id}/tail?lines=5", (200, "Tail"))
    assert tail["run_id"] == run_id and 0 < len(tail["lines"]) <= 5
    api.refused("GET", f"/api/runs/{run_id}/tail?lines=-1", (400, "bad_request"))
    aborting = api.reply("POST", f"/api/runs/{run_id}/abort", (202, "Aborting"))
    assert aborting == {"run_id": run_id, "status": "aborting"}
    await (await connect()).records(run_id)
    assert "/output" in api.refused("GET", f"/api/runs/{run_id}/tail", (409, "run_not_live"))
    api.refused("POST", f"/api/runs/{run_id}/abort", (409, "run_not_live"))


async def test_channels_tests_and_health_answer_their_bodies(api, connect, launch, channels_test, station) -> None:
    run_id = launch(channels_test)
    await (await connect()).records(run_id)
    counts = api.reply("GET", f"/api/runs/{run_id}/channels", (200, "ChannelCounts"))
    name = next(iter(counts["samples"]))
    csv = api.reply("GET", f"/api/runs/{run_id}/channels/{name}/samples.csv", (200, "text/csv"))
    assert csv.splitlines()[0] == "t,value" and len(csv.splitlines()) == counts["samples"][name] + 1
    api.refused("GET", f"/api/runs/{run_id}/channels/no.such.channel/samples.csv", (404, "channel_not_found"))
    query = f"?station={urllib.parse.quote(station['station'])}" if station else ""
    tests = api.reply("GET", f"/api/tests{query}", (200, "TestList"))["tests"]
    folders = [t for t in tests if t.endswith("/")]
    assert channels_test in tests and folders and tests[: len(folders)] == folders  # folders first, then files
    assert api.reply("GET", "/healthz", (200, "Health"), token=None)["status"] == "ok"


def test_the_edge_refuses_with_an_http_error(api) -> None:
    api.refused("GET", "/api/runs", (401, "unauthorized"), token=None)
    api.refused("GET", "/api/runs", (401, "unauthorized"), token="not-a-token")
    api.refused("GET", "/api/runs", (403, "host_forbidden"), headers={"Host": "rebound.example"})
    foreign = {"Origin": "https://elsewhere.example"}
    api.refused("POST", "/api/runs", (403, "origin_forbidden"), {"test_path": "x"}, headers=foreign)
    api.refused("GET", "/api/no-such-endpoint", (404, "not_found"))
    api.refused("GET", "/protocol/no-such-file.md", (404, "not_found"), token=None)
    api.refused("DELETE", "/api/runs", (405, "method_not_allowed"))


def test_the_session_endpoints_answer_me_or_refuse(api) -> None:
    me = api.reply("GET", "/api/session", (200, "Me"))
    assert me["via"] == "script"
    api.refused("GET", "/api/session", (401, "unauthorized"), token=None)
    wrong = {"name": f"nobody-{uuid.uuid4().hex[:8]}", "password": "not the password"}
    api.refused("POST", "/api/session", (401, "bad_credentials"), wrong, token=None)
    api.refused("POST", "/api/session", (400, "bad_request"), {"name": "x"}, token=None)
    api.refused("GET", "/api/session/link/not-a-link", (401, "bad_credentials"), token=None)


ADMIN_READS = [("/api/users", "[User]"), ("/api/tokens", "[TokenInfo]"), ("/api/audit?limit=5", "[AuditEntry]")]


def test_admin_endpoints_answer_their_bodies_or_forbidden(api) -> None:
    if not api.is_admin():
        for path, _ in ADMIN_READS:
            api.refused("GET", path, (403, "forbidden"))
        return
    for path, shape in ADMIN_READS:
        api.reply("GET", path, (200, shape))
    name = f"conformance-{uuid.uuid4().hex[:8]}"
    issued = api.reply("POST", "/api/tokens", (201, "IssuedToken"), {"name": name, "role": "viewer"})
    try:
        api.refused("POST", "/api/tokens", (409, "conflict"), {"name": name, "role": "viewer"})
        api.refused("GET", "/api/users", (403, "forbidden"), token=issued["token"])
        launch = {"test_path": "x", "uut_serial": "S"}
        api.refused("POST", "/api/runs", (403, "forbidden"), launch, token=issued["token"])
    finally:
        api.reply("DELETE", f"/api/tokens/{name}", (204, ""))
    assert name in api.refused("DELETE", f"/api/tokens/{name}", (404, "not_found"))
    api.refused("POST", "/api/tokens", (400, "bad_request"), {"name": "a name", "role": "viewer"})


@pytest.mark.parametrize("bad", [{"role": "god"}, {"name": "bad name"}, {"password": "short"}])
def test_a_bad_new_user_is_bad_request_in_words(api, bad: dict) -> None:
    if not api.is_admin():
        api.refused("POST", "/api/users", (403, "forbidden"), {"name": "x", "role": "viewer"})
        return
    body = {"name": f"conformance-{uuid.uuid4().hex[:8]}", "role": "viewer", "password": "long enough", **bad}
    api.refused("POST", "/api/users", (400, "bad_request"), body)


async def test_a_person_signs_in_and_out_with_the_session_bodies_and_their_connections_close(api, url) -> None:
    if not api.is_admin():
        api.refused("GET", "/api/users", (403, "forbidden"))
        return
    name, password = f"conformance-{uuid.uuid4().hex[:8]}", "a password long enough"
    new = {"name": name, "role": "viewer", "password": password}
    user = api.reply("POST", "/api/users", (201, "User"), new)
    assert (user["name"], user["role"], user["has_password"]) == (name, "viewer", True)
    try:
        api.refused("POST", "/api/users", (409, "conflict"), new)
        changed = api.reply("PATCH", f"/api/users/{name}", (200, "User"), {"role": "operator"})
        assert changed["role"] == "operator"
        me = api.reply("POST", "/api/session", (200, "Me"), {"name": name, "password": password}, token=None)
        assert (me["name"], me["role"], me["via"]) == (name, "operator", "ui")
        cookie = api.http.last_headers["set-cookie"].split(";")[0]
        assert api.reply("GET", "/api/session", (200, "Me"), token=None, headers={"Cookie": cookie}) == me
        async with websockets.connect(url, subprotocols=[SUBPROTOCOL], additional_headers={"Cookie": cookie}) as ws:
            browser = Peer(ws, api.contract)
            assert (await browser.next())["type"] == "welcome"
            api.reply("DELETE", "/api/session", (204, ""), token=None, headers={"Cookie": cookie})
            messages, code = await browser.closed(timeout=30)  # §1: the session's connections close
        assert [(m["type"], m["code"]) for m in messages] == [("error", "unauthorized")] and code == 4401
        api.refused("GET", "/api/session", (401, "unauthorized"), token=None, headers={"Cookie": cookie})
    finally:
        api.reply("DELETE", f"/api/users/{name}", (204, ""))
    api.refused("PATCH", f"/api/users/{name}", (404, "not_found"), {"role": "viewer"})
    api.refused("DELETE", f"/api/users/{name}", (404, "not_found"))


def test_the_station_list_is_stations_in_a_fleet_and_not_found_on_a_server_alone(api) -> None:
    status, _ = api.http.request("GET", "/api/stations")
    if status == 200:
        stations = api.reply("GET", "/api/stations", (200, "[Station]"))
        assert all(isinstance(s["online"], bool) for s in stations)
    else:
        api.refused("GET", "/api/stations", (404, "not_found"))
