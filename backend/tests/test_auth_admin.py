"""People and tokens managed over HTTP by an admin, against a real server: the same checks as
the CLI, audited under the admin's name, and a change closes the connections it ends."""

from __future__ import annotations

import json

import websockets
from conftest import TEST_USER, Server, connect, receive

from litmus_live.auth import Role

ADA = {"name": "ada", "role": "operator", "password": "long password"}


async def closed_with(ws: websockets.ClientConnection) -> tuple[str, int | None]:
    errors = []
    try:
        while True:
            errors += [m for m in await receive(ws, 30) if m["type"] == "error"]
    except websockets.ConnectionClosed:
        return errors[-1]["code"], ws.close_code


async def test_an_admin_adds_a_person_and_a_role_change_ends_their_sessions(server: Server) -> None:
    status, ada = server.request("POST", "/api/users", ADA)
    assert (status, ada["name"], ada["role"], ada["has_password"]) == (201, "ada", "operator", True)
    assert "ada" in [u["name"] for u in server.get("/api/users")]
    cookie = server.sign_in("ada")
    async with await connect(server.ws, token=None, additional_headers={"Cookie": cookie}, origin=server.http) as ws:
        status, changed = server.request("PATCH", "/api/users/ada", {"role": "viewer"})
        assert (status, changed["role"]) == (200, "viewer")
        assert await closed_with(ws) == ("unauthorized", 4401)
    assert server.request("GET", "/api/session", token=None, headers={"Cookie": cookie})[0] == 401
    again = {"Cookie": server.sign_in("ada"), "Origin": server.http}
    assert server.request("GET", "/api/session", token=None, headers=again)[1]["role"] == "viewer"
    launch = {"test_path": "test_pass.py", "uut_serial": "SN-1"}
    assert server.request("POST", "/api/runs", launch, token=None, headers=again)[0] == 403
    audit = {(e["who"], e["via"], e["action"], e["target"]) for e in server.get("/api/audit")}
    assert {(TEST_USER, "script", "users.add", "ada (operator)"),
            (TEST_USER, "script", "users.role", "ada (operator -> viewer)")} <= audit  # fmt: skip


async def test_an_admin_issues_a_token_once_and_revoking_it_closes_its_connection(server: Server) -> None:
    status, issued = server.request("POST", "/api/tokens", {"name": "line-9", "role": "viewer"})
    assert (status, issued["name"], issued["role"]) == (201, "line-9", "viewer") and issued["token"].startswith("llt_")
    listed = server.get("/api/tokens")
    assert "line-9" in [t["name"] for t in listed] and issued["token"] not in json.dumps(listed)
    async with await connect(server.ws, token=issued["token"]) as ws:
        assert server.request("DELETE", "/api/tokens/line-9")[0] == 204
        assert await closed_with(ws) == ("unauthorized", 4401)
    assert server.request("GET", "/api/runs", token=issued["token"])[0] == 401
    assert ("tokens.revoke", "line-9") in {(e["action"], e["target"]) for e in server.get("/api/audit")}


def test_bad_changes_are_refused_with_what_was_expected_and_change_nothing(server: Server) -> None:
    def refused(method: str, path: str, body: object = None) -> tuple[int, str, str]:
        status, answer = server.request(method, path, body)
        return status, answer["error"]["code"], answer["error"]["message"]

    assert refused("POST", "/api/users", {**ADA, "password": "short"})[:2] == (400, "bad_request")
    assert "at least 8 characters; got 5" in refused("POST", "/api/users", {**ADA, "password": "short"})[2]
    assert refused("POST", "/api/users", {**ADA, "role": "owner"})[:2] == (400, "bad_request")
    assert 'got "<b>"' in refused("POST", "/api/users", {**ADA, "name": "<b>"})[2]
    assert server.request("POST", "/api/users", ADA)[0] == 201
    assert refused("POST", "/api/users", ADA)[:2] == (409, "conflict")
    assert refused("DELETE", "/api/users/bob")[:2] == (404, "not_found")
    assert refused("PATCH", "/api/users/ada", {})[:2] == (400, "bad_request")
    status, code, message = refused("DELETE", "/api/users/admin")  # the only admin (made at first start)
    assert (status, code) == (409, "conflict") and "would leave no admin" in message
    assert refused("DELETE", "/api/tokens/nope")[:2] == (404, "not_found")
    assert sorted(u["name"] for u in server.get("/api/users")) == ["ada", "admin"]
    assert server.request("DELETE", "/api/users/ada")[0] == 204


def test_only_admins_manage_people_and_a_refusal_is_audited(server: Server) -> None:
    operator = server.grant("op", Role.OPERATOR)
    attempts = [
        ("GET", "/api/users", None),
        ("POST", "/api/users", ADA),
        ("POST", "/api/tokens", {"name": "x", "role": "admin"}),
        ("DELETE", "/api/tokens/op", None),
    ]
    for method, path, body in attempts:
        status, answer = server.request(method, path, body, token=operator)
        assert (status, answer["error"]["code"]) == (403, "forbidden"), path
    assert [u["name"] for u in server.get("/api/users")] == ["admin"]
    assert "op" in [t["name"] for t in server.get("/api/tokens")]
    refused = [e for e in server.get("/api/audit") if e["outcome"] == "refused: forbidden"]
    assert len(refused) == 4 and refused[-1]["target"] == "GET /api/users from 127.0.0.1"
