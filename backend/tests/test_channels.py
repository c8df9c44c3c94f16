"""Live channels and measurements end to end: a real pytest process streaming readings."""

from __future__ import annotations

import json

from conftest import Server, connect, receive

from litmus_live.channels import decimate


def fold_channels(state: dict, message: dict) -> None:
    """What a viewer does with `channels` messages (PROTOCOL.md): snapshot replaces, delta appends."""
    if message["is_snapshot"]:
        state.clear()
    for channel in message["channels"]:
        known = state.get(channel["name"], {"points": []})
        points = ([] if message["is_snapshot"] else known["points"]) + [list(p) for p in channel["points"]]
        state[channel["name"]] = {**channel, "points": points[-300:]}


def finished_steps(records: list[dict]) -> dict[str, dict]:
    """step_finished data by test name."""
    kinds = (r.get("data", {}) for r in records)
    return {d["nodeid"].split("::")[1]: d for d in kinds if d.get("kind") == "step_finished"}


async def watch(ws, run_id: str) -> tuple[list[dict], list[dict]]:
    """Subscribe and read until complete: (records, channels messages)."""
    await ws.send(json.dumps({"type": "subscribe", "run_id": run_id}))
    records, channel_messages = [], []
    while not records or records[-1]["type"] != "complete":
        for message in await receive(ws, 60):
            if message["type"] == "channels":
                channel_messages.append(message)
            elif "seq" in message:
                records.append(message)
    return records, channel_messages


async def test_ten_channels_at_1khz_are_all_kept_and_coalesced_for_viewers(server_factory) -> None:
    server = server_factory(env={"LITMUS_CHANNELS": "10", "LITMUS_RATE": "1000", "LITMUS_SECONDS": "10"})
    server.start()
    run_id = server.launch("test_channels.py::test_stream")
    stalled = await connect(server.ws, max_queue=1)
    await stalled.send(json.dumps({"type": "subscribe", "run_id": run_id}))
    async with await connect(server.ws) as ws:
        records, live_messages = await watch(ws, run_id)
    assert records[-1]["status"] == "PASSED"
    counts = server.get(f"/api/runs/{run_id}/channels")["samples"]
    assert counts == {f"ch{c}": 10_000 for c in range(10)}

    live_state: dict = {}
    for message in live_messages:
        fold_channels(live_state, message)
    async with await connect(server.ws) as late:
        _, late_messages = await watch(late, run_id)
    late_state: dict = {}
    for message in late_messages:
        fold_channels(late_state, message)
    assert len(late_messages) == 1 and late_messages[0]["is_snapshot"]
    assert late_state == live_state
    ch0 = live_state["ch0"]
    assert (ch0["count"], ch0["unit"]) == (10_000, "V")
    assert -1.0 <= ch0["min"] < -0.99 and 0.99 < ch0["max"] <= 1.0
    assert 0 < len(ch0["points"]) <= 300
    # the viewer got a message per tick (at most ~20/s), not one per reading
    assert len(live_messages) < 100_000 / 100
    await stalled.close()


async def test_bursts_states_and_refused_values(server: Server) -> None:
    run_id = server.launch("test_channels.py")
    async with await connect(server.ws) as ws:
        records, messages = await watch(ws, run_id)
    state: dict = {}
    for message in messages:
        fold_channels(state, message)
    scope = state["scope.ch1"]
    assert (scope["count"], scope["min"], scope["max"], scope["last"]) == (1000, -1.0, 1.0, 0.5)
    # the burst's times follow its interval: 1000 readings 0.1 ms apart span 99.9 ms
    assert 0.09 < scope["last_t"] - scope["points"][0][0] <= 999e-4 + 1e-6
    assert (state["relay.k1"]["last"], state["relay.k1"]["min"]) == (True, None)
    assert (state["dut.state"]["last"], state["dut.state"]["count"]) == ("READY", 2)
    steps = {
        r["data"]["nodeid"].split("::")[1]: r["data"]
        for r in records
        if r.get("data", {}).get("kind") == "step_finished"
    }
    assert "a reading is a number, a boolean or a string, got an object" in steps["test_rejects_non_numeric"]["reason"]


async def test_channel_limits_ride_with_the_channel_given_or_from_litmus_limits(server: Server) -> None:
    run_id = server.launch("test_channels.py::test_channel_limits")
    async with await connect(server.ws) as ws:
        _, live_messages = await watch(ws, run_id)
    state: dict = {}
    for message in live_messages:
        fold_channels(state, message)
    limits = {name: (c["low"], c["high"]) for name, c in state.items()}
    assert limits == {"dut.temp": (None, 70.0), "psu.rail": (4.9, 5.1), "scope.ch2": (-1.0, 1.0)}
    async with await connect(server.ws) as late:  # the finished run's kept snapshot holds them too
        _, late_messages = await watch(late, run_id)
    assert {c["name"]: (c["low"], c["high"]) for c in late_messages[0]["channels"]} == limits


async def test_channel_limits_refused_when_low_is_above_high(server: Server) -> None:
    run_id = server.launch("test_channels.py::test_channel_limits_refused")
    async with await connect(server.ws) as ws:
        records, messages = await watch(ws, run_id)
    assert messages == []
    reason = finished_steps(records)["test_channel_limits_refused"]["reason"]
    assert 'channel "dut.temp": low limit 5 is above high limit 1' in reason


async def test_measurements_in_and_out_of_limits(server: Server) -> None:
    run_id = server.launch("test_channels.py", serial="SN-M")
    async with await connect(server.ws) as ws:
        records, _ = await watch(ws, run_id)
    measured = {r["data"]["name"]: r["data"] for r in records if r.get("data", {}).get("kind") == "measurement"}
    assert measured["output_voltage"] == {
        "kind": "measurement", "name": "output_voltage", "value": 5.01, "low": 4.9, "high": 5.1, "unit": "V",
        "verdict": "PASS", "step": "test_channels.py::test_measurements",
    }  # fmt: skip
    assert (measured["leakage_current"]["low"], measured["leakage_current"]["verdict"]) == (None, "PASS")
    assert (measured["efficiency"]["high"], measured["efficiency"]["verdict"]) == (None, "PASS")
    assert (measured["ripple"]["verdict"], measured["ripple"]["value"]) == ("FAIL", 0.12)
    assert "temperature" not in measured and "gain" not in measured
    steps = {
        r["data"]["nodeid"].split("::")[1]: r["data"]
        for r in records
        if r.get("data", {}).get("kind") == "step_finished"
    }
    assert steps["test_measurements"]["outcome"] == "passed"
    assert steps["test_out_of_limits"]["outcome"] == "failed"
    assert "ripple = 0.12 V is outside <= 0.05 V" in steps["test_out_of_limits"]["reason"]
    assert 'value must be a number, got "hot"' in steps["test_verify_refuses_text"]["reason"]
    assert "value must be finite" in steps["test_verify_refuses_nan[nan]"]["reason"]


async def test_samples_export_as_csv(server: Server) -> None:
    run_id = server.launch("test_channels.py::test_burst_and_states")
    async with await connect(server.ws) as ws:
        await watch(ws, run_id)
    status, text = server.request("GET", f"/api/runs/{run_id}/channels/dut.state/samples.csv")
    assert status == 200
    lines = text.splitlines()
    assert lines[0] == "t,value" and [line.split(",")[1] for line in lines[1:]] == ['"BOOTING"', '"READY"']
    status, _ = server.request("GET", f"/api/runs/{run_id}/channels/nope/samples.csv")
    assert status == 404


async def test_after_a_crash_late_viewers_still_get_the_channels_kept_so_far(server_factory) -> None:
    server = server_factory(env={"LITMUS_CHANNELS": "2", "LITMUS_RATE": "200", "LITMUS_SECONDS": "30"})
    server.start()
    run_id = server.launch("test_channels.py::test_stream")
    async with await connect(server.ws) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id}))
        seen = 0
        while seen < 200:  # a second's worth of readings is durable and on screen
            for message in await receive(ws):
                if message["type"] == "channels":
                    seen = max(c["count"] for c in message["channels"])
    server.kill()
    server.start()
    counts = server.get(f"/api/runs/{run_id}/channels")["samples"]
    async with await connect(server.ws) as ws:
        records, messages = await watch(ws, run_id)
    assert records[-1]["reason"] == "server stopped during the run"
    assert len(messages) == 1 and messages[0]["is_snapshot"]
    assert {c["name"]: c["count"] for c in messages[0]["channels"]} == counts
    assert counts["ch0"] >= 200


def test_decimation_keeps_extremes_in_time_order_and_the_last_reading() -> None:
    times = [i * 1e-3 for i in range(100)]
    values = [0.0] * 100
    values[10], values[70], values[99] = 9.0, -9.0, 1.0
    assert decimate(times, values) == [(0.01, 9.0), (0.07, -9.0), (0.099, 1.0)]
    assert len(decimate(times, values, buckets=10)) <= 21
    assert decimate(times[:3], values[:3]) == list(zip(times[:3], values[:3], strict=True))
    states = ["BOOT"] * 50 + ["READY"] * 50
    assert decimate(times, states) == [(0.099, "READY")]


async def test_a_channels_only_subscription_gets_channels_and_the_complete_record_only(server: Server) -> None:
    run_id = server.launch("test_channels.py::test_stream")
    async with await connect(server.ws) as ws:
        await ws.send(json.dumps({"type": "subscribe", "run_id": run_id, "channels_only": True, "id": "wall"}))
        received = []
        while not received or received[-1].get("type") != "complete":
            received += [m for m in await receive(ws, 60) if m.get("run_id") == run_id]
        full, _ = await watch(ws, run_id)
    kinds = {m["type"] for m in received}
    assert kinds == {"subscribed", "channels", "complete"}, kinds
    assert received[0]["id"] == "wall" and received[-1] == full[-1]
    state: dict = {}
    for message in received:
        if message["type"] == "channels":
            fold_channels(state, message)
    assert sorted(state) == ["ch0", "ch1", "ch2"] and all(c["count"] == 1000 for c in state.values())


async def test_samples_csv_writes_numbers_in_their_shortest_form(server: Server) -> None:
    run_id = server.launch("test_channels.py::test_burst_and_states")
    async with await connect(server.ws) as ws:
        await watch(ws, run_id)
    status, text = server.request("GET", f"/api/runs/{run_id}/channels/scope.ch1/samples.csv")
    assert status == 200
    assert [line.split(",")[1] for line in text.splitlines()[1:5]] == ["0", "1", "-1", "0.5"]
