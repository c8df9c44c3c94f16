"""HTTP routes against a real server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from conftest import Server, collect_run, connect, receive
from starlette.routing import Route

from litmus_live import app as app_module
from litmus_live import settings
from litmus_live.api import discover_tests


async def test_runs_list_newest_first_with_live_flags(server: Server) -> None:
    first = server.launch("test_pass.py", serial="SN-1")
    async with await connect(server.ws) as ws:
        await collect_run(ws, first)
    second = server.launch("test_slow.py", serial="SN-2")
    runs = server.get("/api/runs")
    assert [r["run_id"] for r in runs] == [second, first]
    assert [r["is_live"] for r in runs] == [True, False]
    assert runs[1]["status"] == "PASSED" and runs[1]["done"] == 2
    server.request("POST", f"/api/runs/{second}/abort")


async def test_every_run_endpoint_answers_an_unknown_run_with_404_run_not_found(server: Server) -> None:
    reads = ["", "/output", "/tail", "/tail?lines=0", "/channels", "/channels/psu.voltage/samples.csv"]
    for method, path in [*(("GET", f"/api/runs/nope{p}") for p in reads), ("POST", "/api/runs/nope/abort"),
                         ("GET", "/api/runs?before=nope")]:  # fmt: skip
        status, body = server.request(method, path)
        assert (status, body["error"]["code"]) == (404, "run_not_found"), (method, path, body)
        assert "nope" in body["error"]["message"]


async def test_limit_0_lists_no_runs_and_lines_0_tails_no_lines(server: Server) -> None:
    run_id = server.launch("test_slow.py")
    async with await connect(server.ws) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id}))
        while not any(m.get("data", {}).get("line") == "tick 1" for m in await receive(ws)):
            pass
        assert server.get("/api/runs?limit=0") == []
        assert [r["run_id"] for r in server.get("/api/runs?limit=1")] == [run_id]
        assert server.get(f"/api/runs/{run_id}/tail?lines=0")["lines"] == []
        assert len(server.get(f"/api/runs/{run_id}/tail?lines=1")["lines"]) == 1
        for path in ["/api/runs?limit=-1", "/api/runs?limit=1001", "/api/runs?limit=ten",
                     f"/api/runs/{run_id}/tail?lines=1.5", f"/api/runs/{run_id}/tail?lines=1001"]:  # fmt: skip
            status, body = server.request("GET", path)
            assert (status, body["error"]["code"]) == (400, "bad_request"), path
            assert "from 0 to" in body["error"]["message"]
        server.request("POST", f"/api/runs/{run_id}/abort")
        await collect_run(ws, run_id)


async def test_runs_are_filtered_and_paged_with_a_before_cursor(server: Server) -> None:
    launched = [
        server.launch("test_pass.py", serial="SN-A", station="bench-1"),
        server.launch("test_mixed.py", serial="SN-B", station="bench-1"),
        server.launch("test_pass.py", serial="SN-B", station="bench-2"),
    ]
    async with await connect(server.ws) as ws:
        for run_id in launched:
            await collect_run(ws, run_id)
    newest_first = launched[::-1]

    def ids(query: str) -> list[str]:
        return [r["run_id"] for r in server.get(f"/api/runs?{query}")]

    assert ids("") == newest_first
    assert ids("serial=SN-B") == newest_first[:2]
    assert ids("station=bench-1") == newest_first[1:]
    assert ids("test_path=test_pass.py") == [launched[2], launched[0]]
    assert ids("status=FAILED") == [launched[1]] and ids("status=PASSED&serial=SN-A") == [launched[0]]
    page, pages = ids("limit=1"), []
    while page:
        pages += page
        page = ids(f"limit=1&before={page[-1]}")
    assert pages == newest_first
    created = [server.get(f"/api/runs/{r}")["created_at"] for r in launched]
    assert ids(f"since={created[1]}") == newest_first[:2]
    assert ids(f"until={created[1]}") == [launched[0]]
    status, body = server.request("GET", "/api/runs?status=GREEN")
    assert status == 400 and "status is one of STARTING, RUNNING, PASSED" in body["error"]["message"]


async def test_launch_refuses_control_characters_and_names_longer_than_255_bytes(server: Server) -> None:
    for body, where in [
        ({"test_path": "test_pass.py", "uut_serial": "SN\u00001"}, "uut_serial holds the control character U+0000"),
        ({"test_path": "test_pass.py", "uut_serial": "SN", "operator": "ada\u001b[31m"}, "operator holds"),
        ({"test_path": "test_pass.py", "uut_serial": "SN", "station": "a\tb"}, "station holds"),
    ]:
        status, reply = server.request("POST", "/api/runs", json.loads(json.dumps(body).replace("\\\\", "\\")))
        assert (status, reply["error"]["code"]) == (400, "bad_request") and where in reply["error"]["message"]
    status, reply = server.request("POST", "/api/runs", {"test_path": "é" * 200 + ".py", "uut_serial": "SN"})
    assert (status, reply["error"]["code"]) == (400, "invalid_test_path")
    assert "a name of 403 bytes; at most 255" in reply["error"]["message"]
    assert server.get("/api/runs") == []


async def test_a_folder_holding_a_link_out_of_the_test_root_is_refused(server_factory, tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "links").mkdir(parents=True)
    (root / "plain").mkdir()
    outside.mkdir()
    (outside / "test_escape.py").write_text("def test_escape():\n    pass\n")
    (root / "plain" / "test_ok.py").write_text("def test_ok():\n    pass\n")
    (root / "links" / "test_escape.py").symlink_to(outside / "test_escape.py")
    server = server_factory(tests=root)
    server.start()
    status, reply = server.request("POST", "/api/runs", {"test_path": "links/", "uut_serial": "SN"})
    assert (status, reply["error"]["code"]) == (400, "invalid_test_path")
    assert "links/test_escape.py, a link out of the test root" in reply["error"]["message"]
    status, reply = server.request("POST", "/api/runs", {"test_path": "links/test_escape.py", "uut_serial": "SN"})
    assert (status, reply["error"]["code"]) == (400, "invalid_test_path")
    assert server.launch("plain/")


async def test_a_link_loop_is_refused_with_a_reason_not_a_500(server_factory, tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "loopy").mkdir(parents=True)
    (root / "loopy" / "test_ok.py").write_text("def test_ok():\n    pass\n")
    (root / "loopy" / "self").symlink_to("self")
    (root / "loopy" / "a").symlink_to("b")
    (root / "loopy" / "b").symlink_to("a")
    server = server_factory(tests=root)
    server.start()
    for test_path in ["loopy/", "loopy/self", "loopy/a/test_x.py", "loopy/b::test"]:
        status, reply = server.request("POST", "/api/runs", {"test_path": test_path, "uut_serial": "SN"})
        assert (status, reply["error"]["code"]) == (400, "invalid_test_path"), (test_path, reply)
        assert "a loop of symbolic links" in reply["error"]["message"], reply
    assert server.launch("loopy/test_ok.py")
    assert "Traceback" not in server.log.read_text()


async def test_the_protocol_files_are_served_and_live_url_answers_without_an_spa(server: Server) -> None:
    protocol = Path(__file__).resolve().parents[2] / "protocol"
    for name in ["PROTOCOL.md", "schema.json", "asyncapi.yaml", "examples/passing_run.jsonl"]:
        status, body = server.request("GET", f"/protocol/{name}", token=None)  # public: no credential
        text = body if isinstance(body, str) else json.dumps(body)
        assert status == 200 and (
            text == (protocol / name).read_text() or body == json.loads((protocol / name).read_text())
        )
    status, reply = server.request("POST", "/api/runs", {"test_path": "test_pass.py", "uut_serial": "SN"})
    status, page = server.request("GET", reply["live_url"], token=None)
    assert status == 200 and "/ws" in page and f"/api/runs/{reply['run_id']}" in page
    assert server.request("GET", "/protocol/%2e%2e/README.md", token=None)[0] == 404
    assert server.request("GET", "/protocol/nothing.md", token=None)[0] == 404


def test_every_http_route_declares_who_may_call_it_and_only_documents_are_public(tmp_path: Path) -> None:
    app = app_module.create_app(settings.load(data_dir=tmp_path, tests=tmp_path))
    routes = [r for r in app.routes if isinstance(r, Route)]
    undeclared = [r.path for r in routes if not hasattr(r.endpoint, "required_role")]
    assert routes and not undeclared
    public = {r.path for r in routes if r.endpoint.required_role is None}
    assert public == {"/healthz", "/api/session", "/api/session/link/{code}", "/protocol/{name:path}", "/live/{run_id}"}


async def test_the_output_log_holds_both_streams(server: Server) -> None:
    run_id = server.launch("test_pass.py")
    async with await connect(server.ws) as ws:
        await collect_run(ws, run_id)
    status, text = server.request("GET", f"/api/runs/{run_id}/output")
    assert status == 200
    assert "hello from stderr" in text and "hello from stdout" in text and "2 passed" in text


async def test_launch_requests_are_validated(server: Server) -> None:
    cases = [
        ({"test_path": "test_pass.py"}, "uut_serial"),
        ({"test_path": "test_pass.py", "uut_serial": "   "}, "uut_serial"),
        ({"test_path": "test_pass.py", "uut_serial": "SN", "priority": 1}, "priority"),
        ({"test_path": 3, "uut_serial": "SN"}, "test_path"),
    ]
    for body, where in cases:
        status, reply = server.request("POST", "/api/runs", body)
        assert status == 400 and where in reply["error"]["message"], (body, reply)
    status, reply = server.request("POST", "/api/runs", {"test_path": "x" * 70_000, "uut_serial": "SN"})
    assert status == 413
    assert server.get("/api/runs") == []


async def test_tests_under_the_root_are_listed(server: Server) -> None:
    listing = server.get("/api/tests")
    assert "test_pass.py" in listing["tests"] and "conftest.py" not in listing["tests"]


def test_discovery_lists_suite_folders_then_test_files(tmp_path: Path) -> None:
    for name in ["bench/test_a.py", "bench/deep/b_test.py", "bench/helpers.py", ".hidden/test_c.py",
                 "__pycache__/test_d.py", "test_top.py"]:  # fmt: skip
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    assert discover_tests(tmp_path) == [
        "bench/", "bench/deep/", "bench/deep/b_test.py", "bench/test_a.py", "test_top.py",
    ]  # fmt: skip


async def test_healthz(server: Server) -> None:
    assert server.get("/healthz") == {"status": "ok", "live_runs": 0}


async def test_the_output_log_of_a_live_run_can_be_read_while_it_grows(server_factory, tmp_path: Path) -> None:
    stop = tmp_path / "seen-enough"
    server = server_factory(env={"LITMUS_GROWING_STOP": str(stop)})
    server.start()
    run_id = server.launch("test_growing.py")
    async with await connect(server.ws) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id}))
        while not any(m.get("data", {}).get("line") == "paced 10" for m in await receive(ws)):
            pass
        sizes = []
        while server.get(f"/api/runs/{run_id}")["is_live"]:
            status, text = server.request("GET", f"/api/runs/{run_id}/output")  # a short body would raise
            assert status == 200 and text.endswith("\n")
            sizes.append(len(text))
            if len(sizes) == 3:
                stop.touch()  # seen it grow: the test may end
            await asyncio.sleep(0.1)  # a polite poller: well under the per-client request rate
    assert len(sizes) >= 3 and sizes == sorted(sizes) and sizes[0] > 10_000_000 // 1000
    assert sizes[-1] > sizes[0]  # it grew between two reads


async def test_a_live_runs_output_tail_comes_from_memory(server: Server) -> None:
    run_id = server.launch("test_slow.py")
    async with await connect(server.ws) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id}))
        while not any(m.get("data", {}).get("line") == "tick 1" for m in await receive(ws)):
            pass
        tail = server.get(f"/api/runs/{run_id}/tail?lines=3")
        assert [line["stream"] for line in tail["lines"]] == ["stdout"] * 3
        assert tail["lines"][-1]["line"] == "tick 1"
        server.request("POST", f"/api/runs/{run_id}/abort")
        await collect_run(ws, run_id)
    status, body = server.request("GET", f"/api/runs/{run_id}/tail")
    assert (status, body["error"]["code"]) == (409, "run_not_live")
