"""The HTTP edge against a real server, probed as an attacker would: forged forms, rebinding,
huge bodies, a viewer that tries to act, floods; and sign-in, roles and the audit log."""

from __future__ import annotations

import contextlib
import http.client
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import TEST_USER, TOKEN, Server

from litmus_live import app as app_module
from litmus_live import settings
from litmus_live.auth import Role

EVIL = "http://evil.example"
LAUNCH = {"test_path": "test_pass.py", "uut_serial": "SN-CSRF"}


def raw(server: Server, method: str, path: str, data: bytes | None, headers: dict[str, str]) -> tuple[int, dict]:
    """One request with exactly these headers and bytes (no token unless given)."""
    req = urllib.request.Request(server.http + path, data, headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=20) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read() or b"null")


def run_count(server: Server) -> int:
    return len(server.get("/api/runs"))


def sign_in(server: Server, name: str, password: str) -> tuple[int, dict, str]:
    """Status, body, and the Set-Cookie header of a sign-in."""
    with contextlib.closing(http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)) as conn:
        conn.request(
            "POST",
            "/api/session",
            json.dumps({"name": name, "password": password}),
            {"Content-Type": "application/json"},
        )
        response = conn.getresponse()
        body = json.loads(response.read())
        return response.status, body, response.getheader("set-cookie") or ""


@pytest.fixture
def people(server: Server) -> Server:
    server.add_user("ada", Role.OPERATOR)
    server.add_user("vic", Role.VIEWER)
    return server


# -- cross-site request forgery -------------------------------------------------------------

# What <form method=post enctype=text/plain> with <input name='{"test_path":…,"x":"' value='"}'> sends
FORM_TEXT = b'{"test_path": "test_pass.py", "uut_serial": "SN-CSRF", "x":"="}\r\n'
FORM_URLENCODED = b"test_path=test_pass.py&uut_serial=SN-CSRF"


@pytest.mark.parametrize(
    ("kind", "body"), [("text/plain", FORM_TEXT), ("application/x-www-form-urlencoded", FORM_URLENCODED)]
)
def test_a_forged_form_post_from_another_site_is_refused_and_starts_nothing(
    people: Server, kind: str, body: bytes
) -> None:
    _, _, cookie = sign_in(people, "ada", "long password")  # as if the browser sent ada's cookie along
    headers = {"Content-Type": kind, "Origin": EVIL, "Cookie": cookie.split(";")[0]}
    status, refused = raw(people, "POST", "/api/runs", body, headers)
    assert (status, refused["error"]["code"]) == (403, "origin_forbidden")
    assert "from http://evil.example may not" in refused["error"]["message"]
    # without an Origin (a browser that hid it) the form's Content-Type alone is refused
    del headers["Origin"]
    status, refused = raw(people, "POST", "/api/runs", body, headers)
    assert (status, refused["error"]["code"]) == (415, "unsupported_media_type")
    assert run_count(people) == 0


def test_a_cross_origin_abort_is_refused_and_the_run_goes_on(server: Server) -> None:
    run_id = server.launch("test_slow.py")
    headers = {"Origin": EVIL, "Authorization": f"Bearer {TOKEN}", "Content-Type": "text/plain"}
    status, refused = raw(server, "POST", f"/api/runs/{run_id}/abort", b"", headers)
    assert (status, refused["error"]["code"]) == (403, "origin_forbidden")
    assert server.get(f"/api/runs/{run_id}")["is_live"] is True
    own = {"Origin": server.http, "Authorization": f"Bearer {TOKEN}"}
    assert raw(server, "POST", f"/api/runs/{run_id}/abort", None, own)[0] == 202


def test_dns_rebinding_gets_403_on_every_route_whatever_the_origin(server: Server) -> None:
    rebound = {"Host": f"evil.example:{server.port}", "Origin": f"http://evil.example:{server.port}"}
    for method, path, body in (("GET", "/api/runs", None), ("POST", "/api/runs", json.dumps(LAUNCH).encode())):
        headers = {**rebound, "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        status, refused = raw(server, method, path, body, headers)
        assert (status, refused["error"]["code"]) == (403, "host_forbidden")
    assert run_count(server) == 0


def test_an_allow_listed_origin_reads_and_acts_only_with_a_token(server_factory) -> None:
    server = server_factory(env={"LITMUS_ALLOWED_ORIGINS": "http://dash.example"})
    server.start()
    dash = {"Origin": "http://dash.example"}
    preflight = urllib.request.Request(
        server.http + "/api/runs",
        method="OPTIONS",
        headers={**dash, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"},
    )
    with urllib.request.urlopen(preflight, timeout=20) as response:
        assert response.status == 204
        assert response.headers["access-control-allow-origin"] == "http://dash.example"
        assert "access-control-allow-credentials" not in response.headers
    bearer = {**dash, "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    assert raw(server, "POST", "/api/runs", json.dumps(LAUNCH).encode(), bearer)[0] == 201
    _, _, cookie = sign_in_admin(server)
    by_cookie = {**dash, "Cookie": cookie, "Content-Type": "application/json"}
    assert raw(server, "POST", "/api/runs", json.dumps(LAUNCH).encode(), by_cookie)[0] == 403
    evil = urllib.request.Request(server.http + "/api/runs", method="OPTIONS", headers={"Origin": EVIL})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(evil, timeout=20)
    refused.value.close()
    assert refused.value.code == 403


def sign_in_admin(server: Server) -> tuple[int, dict, str]:
    server.add_user("root", Role.ADMIN)
    status, body, cookie = sign_in(server, "root", "long password")
    return status, body, cookie.split(";")[0]


# -- bodies ---------------------------------------------------------------------------------

_opened: list[http.client.HTTPConnection] = []


def request_closes(conn: http.client.HTTPConnection) -> None:
    _opened.append(conn)


@pytest.fixture(autouse=True)
def _close_connections():
    yield
    while _opened:
        _opened.pop().close()


def test_a_200_mb_body_is_refused_before_it_is_read(server: Server) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    request_closes(conn)
    conn.putrequest("POST", "/api/runs")
    for name, value in (
        ("Content-Type", "application/json"),
        ("Content-Length", str(200 * 1024 * 1024)),
        ("Authorization", f"Bearer {TOKEN}"),
    ):
        conn.putheader(name, value)
    conn.endheaders(b"{" + b" " * (1024 * 1024))  # 1 MiB of the 200 announced, then wait
    response = conn.getresponse()
    assert response.status == 413 and json.loads(response.read())["error"]["code"] == "body_too_large"


def test_a_chunked_body_is_cut_off_once_it_passes_64_kib(server: Server) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    request_closes(conn)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    chunks = (b" " * 16384 for _ in range(64))  # 1 MiB, with no Content-Length
    conn.request("POST", "/api/runs", chunks, headers, encode_chunked=True)
    response = conn.getresponse()
    assert response.status == 413 and "65536" in json.loads(response.read())["error"]["message"]


# -- who may do what ------------------------------------------------------------------------


def test_without_credentials_only_health_and_sign_in_answer(server: Server) -> None:
    assert server.request("GET", "/healthz", token=None)[0] == 200
    for method, path in (("GET", "/api/runs"), ("GET", "/api/tests"), ("POST", "/api/runs"), ("GET", "/api/audit")):
        status, body = server.request(method, path, LAUNCH if method == "POST" else None, token=None)
        assert (status, body["error"]["code"]) == (401, "unauthorized"), path
    bad = server.request("GET", "/api/runs", token="llt_not-a-token")
    assert bad[0] == 401


def test_a_viewer_reads_but_cannot_launch_or_abort(server: Server) -> None:
    viewer = server.grant("wallboard", Role.VIEWER)
    assert server.request("GET", "/api/runs", token=viewer)[0] == 200
    status, refused = server.request("POST", "/api/runs", LAUNCH, token=viewer)
    assert (status, refused["error"]["code"]) == (403, "forbidden")
    assert "needs the operator role; wallboard is viewer" in refused["error"]["message"]
    run_id = server.launch("test_slow.py")
    assert server.request("POST", f"/api/runs/{run_id}/abort", token=viewer)[0] == 403
    assert server.get(f"/api/runs/{run_id}")["is_live"] is True and run_count(server) == 1
    assert server.request("POST", f"/api/runs/{run_id}/abort")[0] == 202


def test_the_launching_credential_is_the_runs_operator_whatever_the_body_says(server: Server) -> None:
    run_id = server.launch("test_pass.py", operator="ada (shift supervisor)")
    assert server.get(f"/api/runs/{run_id}")["operator"] == TEST_USER


def test_every_route_declares_who_may_call_it(tmp_path: Path) -> None:
    app = app_module.create_app(settings.load(data_dir=tmp_path, tests=tmp_path))
    declared = {}
    for route in app.routes:
        endpoint = getattr(route, "endpoint", None)
        if (endpoint is not None and route.path.startswith("/api/")) or getattr(route, "path", "") == "/healthz":
            declared[(route.path, tuple(sorted(route.methods or ())))] = getattr(endpoint, "required_role", "none")
    assert "none" not in declared.values(), declared
    public = {path for (path, _), role in declared.items() if role is None}
    assert public == {"/healthz", "/api/session", "/api/session/link/{code}"}
    assert (
        declared[("/api/runs", ("POST",))] is Role.OPERATOR and declared[("/api/audit", ("GET", "HEAD"))] is Role.ADMIN
    )


# -- people ---------------------------------------------------------------------------------


def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_ends_it(people: Server) -> None:
    status, refused, _ = sign_in(people, "ada", "wrong password")
    assert (status, refused["error"]["code"]) == (401, "bad_credentials")
    assert sign_in(people, "nobody", "wrong password")[1] == refused  # the same answer: no names leak
    status, who, cookie = sign_in(people, "ada", "long password")
    assert (status, who) == (200, {"name": "ada", "role": "operator", "via": "ui"})
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    session = {"Cookie": cookie.split(";")[0], "Content-Type": "application/json", "Origin": people.http}
    assert raw(people, "GET", "/api/session", None, session) == (200, who)
    run = raw(people, "POST", "/api/runs", json.dumps(LAUNCH).encode(), session)
    assert run[0] == 201
    assert people.get(f"/api/runs/{run[1]['run_id']}")["operator"] == "ada"
    assert raw(people, "DELETE", "/api/session", None, session)[0] == 204
    assert raw(people, "GET", "/api/session", None, session)[0] == 401


def test_the_audit_log_is_for_admins_and_names_who_did_what(people: Server) -> None:
    sign_in(people, "ada", "wrong password")
    run_id = people.launch("test_pass.py")
    operator = people.grant("op")
    assert people.request("GET", "/api/audit", token=operator)[0] == 403
    entries = people.get("/api/audit")
    seen = {(e["who"], e["action"], e["outcome"]) for e in entries}
    assert ("ada", "sign_in", "refused: bad_credentials") in seen and (TEST_USER, "launch", "ok") in seen
    assert any(e["action"] == "launch" and run_id in e["target"] for e in entries)


def test_refused_attempts_are_audited_and_a_flood_of_them_is_bounded(server_factory) -> None:
    server = server_factory(env={"LITMUS_REQUEST_RATE": "1000"})
    server.start()
    viewer = server.grant("wallboard", Role.VIEWER)
    sign_in(server, "root", "guessed password")
    server.request("POST", "/api/runs", LAUNCH, token=viewer)
    server.request("GET", "/api/runs", token="llt_stolen-or-typo")
    raw(server, "POST", "/api/runs", json.dumps(LAUNCH).encode(), {"Origin": EVIL, "Content-Type": "application/json"})
    raw(server, "GET", "/api/runs", None, {"Host": "evil.example"})
    server.request("GET", "/api/runs", token=None)  # no credential at all: not an attempt
    refused = [e for e in server.get("/api/audit") if e["outcome"].startswith("refused")]
    assert [(e["who"], e["action"], e["outcome"]) for e in reversed(refused)] == [
        ("root", "sign_in", "refused: bad_credentials"),
        ("wallboard", "request", "refused: forbidden"),
        ("unknown", "request", "refused: unauthorized"),
        ("unknown", "request", "refused: origin_forbidden"),
        ("unknown", "request", "refused: host_forbidden"),
    ]
    assert refused[-1]["target"] == "POST /api/session from 127.0.0.1" and refused[-1]["via"] == "ui"
    for _ in range(200):
        assert server.request("GET", "/api/runs", token="llt_flood")[0] == 401
    refused = [e for e in server.get("/api/audit?limit=1000") if e["outcome"].startswith("refused")]
    assert len(refused) == 20  # this client's share of a minute; the store keeps 10,000 at most
    assert "the last of 20 recorded this minute for 127.0.0.1" in refused[0]["outcome"]


# -- floods and start-up --------------------------------------------------------------------


def test_a_flood_of_requests_from_one_client_gets_429(server_factory) -> None:
    server = server_factory(env={"LITMUS_REQUEST_RATE": "5"})
    server.start()
    statuses = [server.request("GET", "/api/tests")[0] for _ in range(40)]
    assert 429 in statuses and statuses[0] == 200
    status, body = server.request("GET", "/api/tests")
    assert status == 200 or body["error"]["code"] == "rate_limited"


def test_a_refused_flood_says_when_to_come_back(server_factory) -> None:
    server = server_factory(env={"LITMUS_REQUEST_RATE": "2"})
    server.start()
    refused = None
    for _ in range(40):
        request = urllib.request.Request(server.http + "/api/tests", headers={"Authorization": f"Bearer {TOKEN}"})
        try:
            urllib.request.urlopen(request, timeout=10).read()
        except urllib.error.HTTPError as exc:
            refused = exc
            break
    assert refused is not None and refused.code == 429
    assert refused.headers["Retry-After"] == "1"
    assert json.loads(refused.read())["error"]["code"] == "rate_limited"


def test_auth_off_is_refused_beyond_loopback(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "litmus_live.cli",
            "serve",
            "--host",
            "0.0.0.0",
            "--auth",
            "off",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "--auth off is only for a loopback bind" in done.stderr


def test_auth_off_on_loopback_says_so_and_asks_nobody(server_factory) -> None:
    server = server_factory(env={"LITMUS_AUTH": "off"})
    server.start()
    assert server.request("GET", "/api/session", token=None)[1]["name"] == "anonymous"
    assert "AUTH IS OFF" in server.log.read_text()
