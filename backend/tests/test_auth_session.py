"""The WebSocket edge with credentials: the upgrade, per-message roles, revocation, floods."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest
import websockets
from conftest import SUBPROTOCOL, TOKEN, Server, collect_run, connect, receive

from litmus_live.auth import Role


async def refusal(ws: websockets.ClientConnection) -> tuple[dict, int | None]:
    """The error the server sent before closing, and the close code."""
    messages = []
    with pytest.raises(websockets.ConnectionClosed):
        while True:
            messages += await receive(ws, 30)
    errors = [m for m in messages if m["type"] == "error"]
    assert errors, messages
    return errors[-1], ws.close_code


async def until(ws: websockets.ClientConnection, predicate, timeout: float = 30.0) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            for message in await receive(ws, timeout):
                if predicate(message):
                    return message


async def test_no_credentials_at_the_upgrade_get_unauthorized_and_4401(server: Server) -> None:
    async with websockets.connect(server.ws, subprotocols=[SUBPROTOCOL]) as ws:
        error, code = await refusal(ws)
    assert (error["code"], code) == ("unauthorized", 4401)
    bad = {"Authorization": "Bearer llt_forged"}
    async with websockets.connect(server.ws, subprotocols=[SUBPROTOCOL], additional_headers=bad) as ws:
        assert (await refusal(ws))[1] == 4401


async def test_the_dns_rebinding_handshake_is_refused_whatever_the_origin(server: Server) -> None:
    # evil.example "resolves" to 127.0.0.1: the handshake names it in Host, its page in Origin
    origin = f"http://evil.example:{server.port}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with websockets.connect(
        f"ws://evil.example:{server.port}/ws",
        host="127.0.0.1",
        port=server.port,
        subprotocols=[SUBPROTOCOL],
        additional_headers=auth,
        origin=origin,
    ) as ws:
        error, code = await refusal(ws)
    assert (error["code"], code) == ("host_forbidden", 4403)
    # the server's own Host with that Origin: the Origin is checked against configured origins only
    async with websockets.connect(
        server.ws, subprotocols=[SUBPROTOCOL], origin=origin, additional_headers={"Authorization": f"Bearer {TOKEN}"}
    ) as ws:
        error, code = await refusal(ws)
    assert (error["code"], code) == ("origin_forbidden", 4403)


async def test_a_viewers_answer_is_forbidden_and_the_prompt_stays_open(server: Server) -> None:
    run_id = server.launch("test_prompts.py::test_setup")
    async with await connect(server.ws, token=server.grant("wallboard", Role.VIEWER)) as viewer:
        await viewer.send(json.dumps({"type": "subscribe", "run_id": run_id}))
        prompt = await until(viewer, lambda m: m["type"] == "prompt")
        answer = {
            "type": "prompt_response",
            "id": "v1",
            "run_id": run_id,
            "prompt_id": prompt["prompt_id"],
            "value": True,
            "who": "ada (shift supervisor)",
            "via": "ui",
        }
        await viewer.send(json.dumps(answer))
        refused = await until(viewer, lambda m: m.get("id") == "v1")
        assert (refused["type"], refused["code"]) == ("error", "forbidden")
        assert "needs the operator role" in refused["message"]
        assert server.get(f"/api/runs/{run_id}")["open_prompts"] == [prompt["prompt_id"]]
        async with await connect(server.ws, token=server.grant("ada")) as operator:
            await operator.send(json.dumps({**answer, "id": "o1"}))
            assert (await until(operator, lambda m: m.get("id") == "o1"))["type"] == "prompt_accepted"
        resolved = await until(viewer, lambda m: m["type"] == "event" and m["data"]["kind"] == "prompt_resolved")
    assert (resolved["data"]["who"], resolved["data"]["via"]) == ("ada", "script")  # not what was sent
    refused = [
        (e["who"], e["action"], e["outcome"]) for e in server.get("/api/audit") if e["target"] == "/ws from 127.0.0.1"
    ]
    assert refused == [("wallboard", "prompt_response", "refused: forbidden")]


async def test_refused_upgrades_are_audited_unless_no_credential_was_sent(server: Server) -> None:
    for headers in ({"Authorization": "Bearer llt_forged"}, {"Cookie": "litmus_session=expired"}, {}):
        async with websockets.connect(server.ws, subprotocols=[SUBPROTOCOL], additional_headers=headers) as ws:
            assert (await refusal(ws))[1] == 4401
    async with websockets.connect(server.ws, subprotocols=[SUBPROTOCOL], origin="http://evil.example") as ws:
        assert (await refusal(ws))[1] == 4403
    refused = [(e["via"], e["action"], e["outcome"]) for e in server.get("/api/audit") if e["target"].startswith("/ws")]
    assert refused == [
        ("ui", "connect", "refused: origin_forbidden"),
        ("ui", "connect", "refused: unauthorized"),
        ("script", "connect", "refused: unauthorized"),
    ]


async def test_a_revoked_token_closes_its_open_connection(server: Server) -> None:
    secret = server.grant("line-7")
    async with await connect(server.ws, token=secret) as ws:
        await ws.send(json.dumps({"type": "subscribe_active"}))
        await until(ws, lambda m: m["type"] == "active_runs")
        revoked = subprocess.run(
            [sys.executable, "-m", "litmus_live.cli", "tokens", "revoke", "line-7", "--data-dir", str(server.data_dir)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert revoked.returncode == 0, revoked.stderr
        error, code = await refusal(ws)
    assert (error["code"], code) == ("unauthorized", 4401) and "revoked" in error["message"]
    assert server.request("GET", "/api/runs", token=secret)[0] == 401


async def test_signing_out_closes_the_sessions_connections(server: Server) -> None:
    server.add_user("ada")
    cookie = server.sign_in("ada")
    async with await connect(server.ws, token=None, additional_headers={"Cookie": cookie}, origin=server.http) as ws:
        status, _ = server.request("DELETE", "/api/session", token=None, headers={"Cookie": cookie})
        assert status == 204
        error, code = await refusal(ws)
    assert (error["code"], code) == ("unauthorized", 4401)


async def test_a_flood_of_messages_gets_rate_limited_and_4429(server: Server) -> None:
    async with await connect(server.ws) as ws:
        for n in range(2000):
            try:
                await ws.send(json.dumps({"type": "subscribe_active", "id": f"f{n}"}))
            except websockets.ConnectionClosed:
                break
        error, code = await refusal(ws)
    assert (error["code"], code) == ("rate_limited", 4429)


async def test_connections_beyond_the_cap_of_a_client_are_refused_with_4429(server_factory) -> None:
    server = server_factory(env={"LITMUS_MAX_CONNECTIONS": "3"})
    server.start()
    held = [await connect(server.ws) for _ in range(3)]
    try:
        async with websockets.connect(server.ws, subprotocols=[SUBPROTOCOL]) as extra:
            error, code = await refusal(extra)
        assert (error["code"], code) == ("too_many_connections", 4429)
        await held.pop().close()
        async with await connect(server.ws):
            pass  # a slot was freed
    finally:
        for ws in held:
            await ws.close()


def litmus(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "litmus_live.cli", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


async def test_removing_a_person_closes_their_connections_and_their_run_goes_on(server: Server) -> None:
    server.add_user("ada")
    cookie = server.sign_in("ada")
    browser = {"Cookie": cookie, "Origin": server.http}
    launch = {"test_path": "test_prompts.py::test_setup", "uut_serial": "SN-ADA"}
    status, body = server.request("POST", "/api/runs", launch, token=None, headers=browser)
    assert status == 201, body
    run_id = body["run_id"]
    async with await connect(server.ws, token=None, additional_headers={"Cookie": cookie}, origin=server.http) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id}))
        await until(ws, lambda m: m["type"] == "prompt")
        removed = litmus(server, "users", "remove", "ada", "--data-dir", str(server.data_dir))
        assert removed.returncode == 0, removed.stderr
        error, code = await refusal(ws)
    assert (error["code"], code) == ("unauthorized", 4401) and "person was removed" in error["message"]
    assert server.request("GET", "/api/runs", token=None, headers=browser)[0] == 401
    assert server.get(f"/api/runs/{run_id}")["is_live"] is True  # nobody aborted it
    for name, value in (("insert_uut", "true"), ("pick_bench", "bench_01"), ("chamber_temp", "20")):
        answered = litmus(server, "answer", run_id, name, value, "--wait", "--server", server.http)
        assert answered.returncode == 0, answered.stderr
    async with await connect(server.ws) as ws:
        records = await collect_run(ws, run_id)
    created = next(r for r in records if r["type"] == "event" and r["data"]["kind"] == "run_created")
    assert (created["data"]["operator"], records[-1]["status"]) == ("ada", "PASSED")
    assert any(e["action"] == "users.remove" and e["target"] == "ada" for e in server.get("/api/audit"))


async def test_revoking_a_token_mid_run_closes_its_watch_and_the_run_is_recorded(server: Server) -> None:
    secret = server.grant("line-7")
    run_id = server.launch("test_prompts.py::test_setup", token=secret)
    async with await connect(server.ws, token=secret) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id}))
        await until(ws, lambda m: m["type"] == "prompt")
        assert litmus(server, "tokens", "revoke", "line-7", "--data-dir", str(server.data_dir)).returncode == 0
        error, code = await refusal(ws)
    assert (error["code"], code) == ("unauthorized", 4401) and "token was revoked" in error["message"]
    assert server.get(f"/api/runs/{run_id}")["is_live"] is True
    assert server.request("POST", f"/api/runs/{run_id}/abort")[0] == 202  # another operator may still end it
    async with await connect(server.ws) as ws:
        records = await collect_run(ws, run_id)
    assert records[-1]["status"] == "ABORTED" and server.get(f"/api/runs/{run_id}")["operator"] == "line-7"
