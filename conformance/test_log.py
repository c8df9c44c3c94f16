"""§2-§3.2: subscribe, catch-up then live tail, resume with since_seq, gapless order, finished runs."""

from __future__ import annotations

import datetime as dt
import re

import pytest


def assert_gapless(records: list[dict], first: int = 1) -> None:
    assert [r["seq"] for r in records] == list(range(first, first + len(records)))
    assert records[-1]["type"] == "complete"
    assert all(r["type"] != "complete" for r in records[:-1])


@pytest.fixture
async def finished_run(connect, launch, plain_test) -> tuple[str, list[dict]]:
    run_id = launch(plain_test)
    _, records = await (await connect()).records(run_id)
    return run_id, records


async def test_a_live_run_arrives_gapless_in_order_and_the_same_for_every_viewer(connect, launch, plain_test) -> None:
    run_id = launch(plain_test)
    first, second = await connect(), await connect()
    reply, seen_first = await first.records(run_id)
    _, seen_second = await second.records(run_id)
    assert reply["run_id"] == run_id and reply["since_seq"] == 0 and reply["id"] == "sub"
    assert_gapless(seen_first)
    assert seen_first[0]["type"] == "event" and seen_first[0]["data"]["kind"] == "run_created"
    assert seen_first == seen_second
    progress = [r for r in seen_first if r["type"] == "progress"]
    assert [p["done"] for p in progress] == sorted(p["done"] for p in progress)
    assert progress[-1]["done"] == progress[-1]["total"]


async def test_a_finished_run_is_replayed_whole_then_complete_and_nothing_after(connect, finished_run) -> None:
    run_id, records = finished_run
    peer = await connect()
    reply, replayed = await peer.records(run_id, request_id="again")
    assert reply["head_seq"] == records[-1]["seq"] and reply["status"] == records[-1]["status"]
    assert replayed == records
    await peer.send({"type": "subscribe", "run_id": "no-such-run", "id": "probe"})
    after = await peer.next()
    assert (after["type"], after["id"], after["code"]) == ("error", "probe", "run_not_found")


async def test_since_seq_resumes_with_the_next_seq_each_once(connect, finished_run) -> None:
    run_id, records = finished_run
    held = len(records) // 2
    reply, rest = await (await connect()).records(run_id, since_seq=held)
    assert reply["since_seq"] == held
    assert_gapless(rest, first=held + 1)
    assert rest == records[held:]


async def test_a_resume_naming_another_epoch_is_told_to_resync_and_gets_the_whole_log(connect, finished_run) -> None:
    run_id, records = finished_run
    peer = await connect()
    first, _ = await peer.records(run_id, request_id="e0")
    held = len(records) // 2
    same, rest = await peer.records(run_id, since_seq=held, request_id="e1", epoch=first["epoch"])
    assert (same["since_seq"], same["resync"], same["epoch"]) == (held, False, first["epoch"])
    assert rest == records[held:]
    other, whole = await peer.records(run_id, since_seq=held, request_id="e2", epoch=f"not {first['epoch']}")
    assert (other["since_seq"], other["resync"], other["epoch"]) == (0, True, first["epoch"])
    assert whole == records


async def test_a_viewer_that_drops_mid_run_resumes_without_gap_or_duplicate(connect, launch, plain_test) -> None:
    run_id = launch(plain_test)
    peer = await connect()
    await peer.send({"type": "subscribe", "run_id": run_id})
    held = [await peer.until(lambda m: m.get("seq") == 1)]
    while held[-1]["type"] != "complete" and held[-1]["seq"] < 5:
        held.append(await peer.until(lambda m: "seq" in m))
    await peer.ws.close()
    _, rest = await (await connect()).records(run_id, since_seq=held[-1]["seq"])
    assert_gapless(held + rest)


async def test_since_seq_past_the_end_is_an_in_band_bad_message(connect, finished_run) -> None:
    run_id, records = finished_run
    peer = await connect()
    await peer.send({"type": "subscribe", "run_id": run_id, "since_seq": records[-1]["seq"] + 1, "id": "far"})
    error = await peer.next()
    assert (error["type"], error["code"], error["id"], error["run_id"]) == ("error", "bad_message", "far", run_id)
    _, replayed = await peer.records(run_id)
    assert replayed == records


async def test_an_unknown_run_is_an_in_band_run_not_found(connect) -> None:
    peer = await connect()
    await peer.send({"type": "subscribe", "run_id": "nope", "id": "x"})
    error = await peer.next()
    assert (error["type"], error["code"], error["id"], error["run_id"]) == ("error", "run_not_found", "x", "nope")
    await peer.send({"type": "subscribe_active", "id": "still-open"})
    assert (await peer.next())["type"] == "active_runs"


async def test_unsubscribe_is_acknowledged_and_a_second_one_is_not_subscribed(connect, launch, prompt_test) -> None:
    run_id = launch(prompt_test)  # waits at its first prompt, so the subscription stays live
    peer = await connect()
    await peer.send({"type": "subscribe", "run_id": run_id, "id": "s"})
    await peer.until(lambda m: m["type"] == "prompt")
    await peer.send({"type": "unsubscribe", "run_id": run_id, "id": "u"})
    reply = await peer.until(lambda m: m["type"] in ("unsubscribed", "error"))
    assert (reply["type"], reply["run_id"], reply["id"]) == ("unsubscribed", run_id, "u")
    await peer.send({"type": "unsubscribe", "run_id": run_id, "id": "u2"})
    error = await peer.until(lambda m: m["type"] == "error")
    assert (error["code"], error["id"]) == ("not_subscribed", "u2")


async def test_ts_never_decreases_along_seq(finished_run) -> None:
    _, records = finished_run
    times = [dt.datetime.fromisoformat(r["ts"].replace("Z", "+00:00")) for r in records]
    assert times == sorted(times)


async def test_subscribing_at_once_after_launch_starts_at_run_created(connect, launch, plain_test) -> None:
    run_id = launch(plain_test)
    reply, records = await (await connect()).records(run_id)
    assert reply["head_seq"] >= 0 and (reply["head_seq"] > 0 or reply["status"] == "STARTING")
    assert records[0]["seq"] == 1 and records[0]["data"]["kind"] == "run_created"


async def test_a_finished_run_subscribed_at_its_last_seq_ends_at_once(connect, finished_run) -> None:
    run_id, records = finished_run
    peer = await connect()
    await peer.send({"type": "subscribe", "run_id": run_id, "since_seq": records[-1]["seq"], "id": "end"})
    reply = await peer.until(lambda m: m["type"] == "subscribed")
    assert (reply["head_seq"], reply["status"]) == (records[-1]["seq"], records[-1]["status"])
    await peer.send({"type": "subscribe", "run_id": "probe", "id": "probe"})
    await peer.until(lambda m: m.get("id") == "probe")
    assert not [m for m in peer.seen if "seq" in m]


async def test_complete_clears_the_current_step_of_an_interrupted_run(connect, http, launch, prompt_test) -> None:
    run_id = launch(prompt_test)  # its first step waits at a prompt: the abort interrupts it
    peer = await connect()
    await peer.send({"type": "subscribe", "run_id": run_id})
    await peer.until(lambda m: m["type"] == "prompt")
    http.request("POST", f"/api/runs/{run_id}/abort")
    complete = await peer.until(lambda m: m["type"] == "complete")
    progress = [m for m in peer.seen if m["type"] == "progress"]
    running = progress[-1]["current_step"]
    assert complete["status"] == "ABORTED" and running is not None
    _, me = http.request("GET", "/api/session")
    assert complete["reason"] == f"aborted by {me['name']}"  # §1: the credential's name
    events = [m for m in peer.seen if m["type"] == "event"]
    last = events[-1]  # the step that was running, logged interrupted after the last progress
    assert last["seq"] > progress[-1]["seq"] and last["seq"] < complete["seq"]
    assert (last["data"]["kind"], last["data"]["nodeid"], last["data"]["outcome"]) == (
        "step_finished",
        running,
        "interrupted",
    )
    steps = [m["data"] for m in events if m["data"]["kind"] == "step_finished"]
    finished = [s for s in steps if s["outcome"] != "interrupted"]
    _, summary = http.request("GET", f"/api/runs/{run_id}")
    assert summary["current_step"] is None and summary["done"] == complete["done"] == len(finished)
    assert summary["done"] < summary["total"]


async def test_an_abort_is_in_the_log_before_it_acts(connect, http, launch, prompt_test) -> None:
    """§9: the 202 comes once the abort_requested record is committed; the prompt it ends is
    withdrawn after it, and complete says ABORTED by the same name."""
    run_id = launch(prompt_test)
    peer = await connect()
    await peer.send({"type": "subscribe", "run_id": run_id})
    await peer.until(lambda m: m["type"] == "prompt")
    status, body = http.request("POST", f"/api/runs/{run_id}/abort")
    assert (status, body["status"]) == (202, "aborting")
    complete = await peer.until(lambda m: m["type"] == "complete")
    events = [m for m in peer.seen if m["type"] == "event"]
    aborts = [m for m in events if m["data"]["kind"] == "abort_requested"]
    withdrawn = [m for m in events if m["data"]["kind"] == "prompt_resolved"]
    assert len(aborts) == 1 and aborts[0]["data"]["who"]
    assert [w["data"]["resolution"] for w in withdrawn] == ["withdrawn"]
    assert aborts[0]["seq"] < withdrawn[0]["seq"] < complete["seq"]
    assert (complete["status"], complete["reason"]) == ("ABORTED", f"aborted by {aborts[0]['data']['who']}")


async def test_a_channels_only_subscription_gets_channels_then_complete_and_no_other_record(
    connect, launch, channels_test
) -> None:
    run_id = launch(channels_test)
    wall, viewer = await connect(), await connect()
    await wall.send({"type": "subscribe", "run_id": run_id, "channels_only": True, "id": "wall"})
    reply = await wall.until(lambda m: m["type"] == "subscribed")
    complete = await wall.until(lambda m: m["type"] == "complete" and m["run_id"] == run_id)
    mine = [m for m in wall.seen if m.get("run_id") == run_id]
    assert reply["id"] == "wall" and {m["type"] for m in mine} == {"subscribed", "channels", "complete"}
    _, records = await viewer.records(run_id)
    assert complete == records[-1]


SUMMARY = re.compile(r"^=+ (?P<counts>.*?) in [\d.]+s.* =+$")
SUMMARY_WORDS = {"passed": "passed", "failed": "failed", "skipped": "skipped", "error": "errors", "errors": "errors",
                 "xfailed": "xfailed", "xpassed": "xpassed"}  # fmt: skip


def pytest_summary(records: list[dict]) -> dict[str, int]:
    """The counts of pytest's own terminal summary line, as the run printed it."""
    lines = [r["data"]["line"] for r in records if r["type"] == "event" and r["data"]["kind"] == "output"]
    found = [m for m in map(SUMMARY.match, lines) if m]
    assert found, "no pytest summary line in the run's output"
    pairs = (part.strip().split(" ", 1) for part in found[-1]["counts"].split(","))
    counts = dict.fromkeys(SUMMARY_WORDS.values(), 0)
    for number, word in pairs:
        if word in SUMMARY_WORDS:
            counts[SUMMARY_WORDS[word]] += int(number)
    return counts


async def test_progress_follows_collection_and_each_step_and_complete_matches_pytests_summary(finished_run) -> None:
    _, records = finished_run
    events = [r for r in records if r["type"] == "event"]
    collected = next(r for r in events if r["data"]["kind"] == "collected")
    progress = [r for r in records if r["type"] == "progress"]
    assert progress[0]["seq"] > collected["seq"] and (progress[0]["done"], progress[0]["current_step"]) == (0, None)
    assert {p["status"] for p in progress} == {"RUNNING"} and progress[0]["total"] == collected["data"]["count"]

    def next_progress(after: dict) -> dict:
        return next(p for p in progress if p["seq"] > after["seq"])

    done = 0
    for event in (e for e in events if e["data"]["kind"] in ("step_started", "step_finished")):
        state = next_progress(event)
        if event["data"]["kind"] == "step_started":
            assert state["current_step"] == event["data"]["nodeid"] and state["done"] == done
        else:
            done += 1
            assert (state["current_step"], state["done"]) == (None, done)
    complete = records[-1]
    outcomes = [e["data"]["outcome"] for e in events if e["data"]["kind"] == "step_finished"]
    assert complete["done"] == done == len(outcomes) and complete["total"] == collected["data"]["count"]
    counts = {k: complete[k] for k in ("passed", "failed", "skipped", "errors", "xfailed", "xpassed")}
    assert counts == pytest_summary(records)
    assert complete["status"] == ("PASSED" if complete["exit_code"] == 0 else "FAILED")
    assert (complete["reason"] == "") == (complete["status"] == "PASSED") and complete["duration"] >= 0


async def test_subscribing_again_restarts_from_the_new_since_seq_and_the_old_one_ends_silently(
    connect, launch, prompt_test
) -> None:
    run_id = launch(prompt_test)
    peer = await connect()
    await peer.send({"type": "subscribe", "run_id": run_id, "id": "first"})
    prompt = await peer.until(lambda m: m["type"] == "prompt")
    await peer.send({"type": "subscribe", "run_id": run_id, "since_seq": prompt["seq"] - 2, "id": "again"})
    await peer.until(lambda m: m.get("id") == "again")
    after = len(peer.seen)
    await peer.send({"type": "prompt_response", "id": "go", "run_id": run_id, "prompt_id": prompt["prompt_id"],
                     "value": True})  # fmt: skip
    await peer.until(lambda m: m["type"] == "prompt" and m["seq"] > prompt["seq"])
    again = [m["seq"] for m in peer.seen[after:] if m.get("run_id") == run_id and "seq" in m]
    assert again == list(range(prompt["seq"] - 1, again[-1] + 1))  # each seq once, from the new since_seq


async def test_fields_a_server_does_not_know_are_ignored(connect, finished_run) -> None:
    run_id, records = finished_run
    peer = await connect()
    await peer.send({"type": "subscribe", "run_id": run_id, "id": "x", "colour": "red", "since": {"a": [1]}})
    reply = await peer.next()
    assert (reply["type"], reply["id"], reply["head_seq"]) == ("subscribed", "x", records[-1]["seq"])


def fold_channels(messages: list[dict]) -> dict[str, dict]:
    """§4.10's fold: a snapshot replaces everything, an update replaces totals and appends points."""
    held: dict[str, dict] = {}
    for message in messages:
        if message["is_snapshot"]:
            held = {}
        for channel in message["channels"]:
            points = (held.get(channel["name"], {}).get("points", []) + channel["points"])[-300:]
            held[channel["name"]] = {**channel, "points": points}
    return held


async def test_a_viewer_from_the_start_and_one_at_the_end_fold_the_channels_to_the_same_state(
    connect, http, launch, channels_test
) -> None:
    run_id = launch(channels_test)
    early = await connect()
    await early.records(run_id)
    late = await connect()
    await late.records(run_id)
    early_state = fold_channels([m for m in early.seen if m["type"] == "channels" and m["run_id"] == run_id])
    late_state = fold_channels([m for m in late.seen if m["type"] == "channels" and m["run_id"] == run_id])
    assert early_state and early_state == late_state
    assert all(len(c["points"]) <= 300 for c in late_state.values())
    _, counts = http.request("GET", f"/api/runs/{run_id}/channels")
    assert {name: c["count"] for name, c in late_state.items()} == counts["samples"]


async def test_channel_limits_are_numbers_or_null_low_not_above_high(connect, launch, channels_test) -> None:
    run_id = launch(channels_test)
    viewer = await connect()
    await viewer.send({"type": "subscribe", "run_id": run_id, "channels_only": True})
    await viewer.until(lambda m: m["type"] == "complete" and m["run_id"] == run_id)
    states = [c for m in viewer.seen if m["type"] == "channels" and m["run_id"] == run_id for c in m["channels"]]
    limits = {(c["name"], c.get("low"), c.get("high")) for c in states}
    for name, low, high in limits:
        assert all(v is None or isinstance(v, int | float) for v in (low, high)), f"{name}: low {low!r}, high {high!r}"
        assert low is None or high is None or low <= high, f"{name}: low {low} above high {high}"
    assert any(low is not None or high is not None for _, low, high in limits), "no channel of the test has limits"
