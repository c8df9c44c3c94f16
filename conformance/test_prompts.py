"""§3.3-§4.9: prompts, first valid answer wins, every viewer sees who answered; the active-runs feed."""

from __future__ import annotations

import uuid


def resolved(prompt_id: str):
    return lambda m: (
        m["type"] == "event" and m["data"]["kind"] == "prompt_resolved" and m["data"]["prompt_id"] == prompt_id
    )


def is_prompt(name: str):
    return lambda m: m["type"] == "prompt" and m["name"] == name


async def answer(peer, prompt: dict, value: object, request_id: str, who: str) -> dict:
    await peer.send({"type": "prompt_response", "id": request_id, "run_id": prompt["run_id"],
                     "prompt_id": prompt["prompt_id"], "value": value, "who": who, "via": "script"})  # fmt: skip
    return await peer.until(lambda m: m["type"] in ("prompt_accepted", "error") and m.get("id") == request_id)


async def test_the_first_valid_answer_wins_and_every_viewer_sees_who_gave_it(
    connect, launch, prompt_test, http
) -> None:
    run_id = launch(prompt_test)
    status, me = http.request("GET", "/api/session")
    assert status == 200, me
    alice, bob = await connect(), await connect()
    for peer in (alice, bob):
        await peer.send({"type": "subscribe", "run_id": run_id})
    confirm = await alice.find(lambda m: m["type"] == "prompt")
    assert confirm["prompt_type"] == "confirm" and confirm == await bob.find(lambda m: m["type"] == "prompt")

    won = await answer(alice, confirm, True, "a1", "alice")
    assert won == {"type": "prompt_accepted", "id": "a1", "run_id": run_id, "prompt_id": confirm["prompt_id"]}
    lost = await answer(bob, confirm, True, "b1", "bob")
    assert (lost["type"], lost["code"], lost["run_id"]) == ("error", "prompt_already_answered", run_id)
    assert (await answer(alice, confirm, True, "a1", "alice"))["type"] == "prompt_accepted"  # a retry
    for peer in (alice, bob):
        data = (await peer.find(resolved(confirm["prompt_id"])))["data"]
        # §1: who and via are the credential's (a token: via "script"), not the "alice" the message claims
        assert (data["resolution"], data["value"], data["who"], data["via"]) == ("answered", True, me["name"], "script")

    choice = await bob.find(lambda m: m["type"] == "prompt" and m["prompt_type"] == "choice")
    refused = await answer(bob, choice, "not-a-choice", "b2", "bob")
    assert (refused["type"], refused["code"]) == ("error", "invalid_answer")
    assert (await answer(bob, choice, choice["choices"][0], "b3", "bob"))["type"] == "prompt_accepted"

    text = await alice.find(lambda m: m["type"] == "prompt" and m["prompt_type"] == "input")
    assert (await answer(alice, text, "not a number", "a2", "alice"))["code"] == "invalid_answer"
    value = text["default"] or str(int(text["min"] if text["min"] is not None else 0))
    assert (await answer(alice, text, value, "a3", "alice"))["type"] == "prompt_accepted"
    complete = await alice.find(lambda m: m["type"] == "complete")
    assert complete["status"] == "PASSED" and complete["exit_code"] == 0


async def test_an_unknown_run_is_run_not_found_and_an_unknown_prompt_prompt_not_found(connect, launch, plain_test):
    peer = await connect()
    unknown = {"run_id": "nope", "prompt_id": "nope"}
    assert (await answer(peer, unknown, True, "x", "carol"))["code"] == "run_not_found"
    assert (await answer(peer, unknown, True, "y", "carol"))["code"] == "run_not_found"
    known_run = {"run_id": launch(plain_test), "prompt_id": "nope"}
    refused = await answer(peer, known_run, True, "z", "carol")
    assert (refused["code"], refused["id"], refused["run_id"]) == ("prompt_not_found", "z", known_run["run_id"])


async def test_a_value_of_any_json_type_that_does_not_fit_is_invalid_answer_in_band(connect, launch, prompt_test):
    run_id = launch(prompt_test)
    peer = await connect()
    await peer.send({"type": "subscribe", "run_id": run_id})
    confirm = await peer.until(lambda m: m["type"] == "prompt")
    for i, value in enumerate([False, None, 3, "yes", {"ok": True}, [True]]):
        refused = await answer(peer, confirm, value, f"v{i}", "carol")
        assert (refused["type"], refused["code"]) == ("error", "invalid_answer"), (value, refused)
        why = refused["message"].split(": ", 1)[1]  # JSON's words, not a programming language's
        assert "got" in why and not any(word in why for word in ("{", "'", "None", "False", "True", "dict", "list"))
    assert (await answer(peer, confirm, True, "ok", "carol"))["type"] == "prompt_accepted"


async def test_the_active_runs_feed_shows_a_waiting_prompt_and_the_run_leaving(connect, launch, http, prompt_test):
    feed = await connect()
    await feed.send({"type": "subscribe_active", "id": "f"})
    assert isinstance((await feed.until(lambda m: m["type"] == "active_runs"))["runs"], list)
    run_id = launch(prompt_test)

    def shown(run: dict) -> bool:
        return run["run_id"] == run_id and run["prompts_waiting"] == 1

    snapshot = await feed.until(lambda m: m["type"] == "active_runs" and any(map(shown, m["runs"])))
    run = next(run for run in snapshot["runs"] if run["run_id"] == run_id)
    assert {"test_path", "uut_serial", "status", "total", "done", "current_step", "created_at"} <= set(run)
    http.request("POST", f"/api/runs/{run_id}/abort")
    await feed.until(lambda m: m["type"] == "active_runs" and all(r["run_id"] != run_id for r in m["runs"]))


async def test_a_wallboard_answers_from_the_active_feed_alone(connect, launch, prompt_test) -> None:
    feed = await connect()
    await feed.send({"type": "subscribe_active", "id": "wall"})
    run_id = launch(prompt_test)

    def waiting(m: dict) -> bool:
        return m["type"] == "active_runs" and any(r["run_id"] == run_id and r["prompts"] for r in m["runs"])

    run = next(r for r in (await feed.until(waiting))["runs"] if r["run_id"] == run_id)
    prompt = run["prompts"][0]
    assert run["prompts_waiting"] == len(run["prompts"]) == 1
    assert (prompt["type"], prompt["run_id"], prompt["prompt_type"]) == ("prompt", run_id, "confirm")
    assert {"prompt_id", "name", "message", "choices", "pattern", "deadline", "seq"} <= set(prompt)
    assert (await answer(feed, prompt, True, "w1", "wall"))["type"] == "prompt_accepted"

    def answered(m: dict) -> bool:
        runs = [r for r in m["runs"] if r["run_id"] == run_id] if m["type"] == "active_runs" else []
        return any(all(q["prompt_id"] != prompt["prompt_id"] for q in r["prompts"]) for r in runs)

    await feed.until(answered)


async def test_the_finished_feed_pushes_each_run_as_it_ends(connect, http, launch, plain_test) -> None:
    feed = await connect()
    await feed.send({"type": "subscribe_finished", "id": "done"})
    await feed.send({"type": "subscribe_active", "id": "sync"})  # its snapshot: the feed is on by now
    await feed.until(lambda m: m["type"] == "active_runs")
    run_id = launch(plain_test)
    finished = await feed.until(lambda m: m["type"] == "run_finished" and m["run_id"] == run_id)
    _, summary = http.request("GET", f"/api/runs/{run_id}")
    assert summary["status"] in ("PASSED", "FAILED") and summary["finished_at"] is not None
    assert {k: finished[k] for k in ("status", "exit_code", "reason", "done", "total", "last_seq", "finished_at")} == {
        k: summary[k] for k in ("status", "exit_code", "reason", "done", "total", "last_seq", "finished_at")
    }
    await feed.send({"type": "unsubscribe_finished"})
    await feed.send({"type": "subscribe", "run_id": "probe"})  # once answered, the unsubscribe was handled
    await feed.until(lambda m: m["type"] == "error" and m["run_id"] == "probe")
    second = launch(plain_test)
    peer = await connect()
    await peer.records(second)
    await feed.send({"type": "subscribe", "run_id": "probe-2"})
    await feed.until(lambda m: m["type"] == "error" and m["run_id"] == "probe-2")
    assert not [m for m in feed.seen if m["type"] == "run_finished" and m["run_id"] == second]


def open_prompts(records: list[dict]) -> list[str]:
    """The prompt ids a fold of `records` shows open: a prompt, with no prompt_resolved after it."""
    opened = [r["prompt_id"] for r in records if r["type"] == "prompt"]
    closed = {
        r["data"]["prompt_id"] for r in records if r["type"] == "event" and r["data"]["kind"] == "prompt_resolved"
    }
    return [p for p in opened if p not in closed]


async def test_a_resolution_reaches_the_answerer_before_its_acceptance_and_a_late_viewer_sees_whats_open(
    connect, http, launch, prompt_test
) -> None:
    run_id = launch(prompt_test)
    peer = await connect()
    await peer.send({"type": "subscribe", "run_id": run_id})
    confirm = await peer.until(is_prompt_type("confirm"))
    assert (await answer(peer, confirm, True, "c1", "ada"))["type"] == "prompt_accepted"
    accepted = next(i for i, m in enumerate(peer.seen) if m["type"] == "prompt_accepted")
    record = await peer.find(resolved(confirm["prompt_id"]))
    if http.request("GET", "/api/stations")[0] == 404:  # §4.8: on one server, the record comes first
        assert peer.seen.index(record) < accepted
    assert record["data"]["name"] == confirm["name"]
    assert confirm["timeout_seconds"] is None and confirm["deadline"] is None  # waits as long as it takes
    choice = await peer.find(is_prompt_type("choice"))
    late = await connect()
    await late.send({"type": "subscribe", "run_id": run_id, "id": "late"})
    await late.until(lambda m: m.get("seq") == choice["seq"])
    assert open_prompts(late.seen) == [choice["prompt_id"]]
    assert (await answer(peer, choice, choice["choices"][0], "c2", "ada"))["type"] == "prompt_accepted"
    text = await peer.find(is_prompt_type("input"))
    assert (await answer(peer, text, "x" * 1001, "c3", "ada"))["code"] == "invalid_answer"  # over 1,000 characters
    if text["timeout_seconds"] is not None:  # §4.6: it expires at deadline, on the server's clock
        assert text["deadline"] is not None
    value = text["default"] or str(int(text["min"] if text["min"] is not None else 0))
    assert (await answer(peer, text, value, "c4", "ada"))["type"] == "prompt_accepted"
    _, records = await late.records(run_id, request_id="all")
    resolutions = [
        r["data"]["prompt_id"] for r in records if r["type"] == "event" and r["data"]["kind"] == "prompt_resolved"
    ]
    assert sorted(resolutions) == sorted({r["prompt_id"] for r in records if r["type"] == "prompt"})  # each once


def is_prompt_type(kind: str):
    return lambda m: m["type"] == "prompt" and m["prompt_type"] == kind


async def test_the_active_feed_snapshot_carries_no_id_and_stops_after_unsubscribe_active(
    connect, launch, plain_test
) -> None:
    feed = await connect()
    await feed.send({"type": "subscribe_active", "id": "mine"})
    snapshot = await feed.until(lambda m: m["type"] == "active_runs")
    assert "id" not in snapshot or snapshot["id"] is None
    await feed.send({"type": "unsubscribe_active", "id": "done"})
    await feed.send({"type": "subscribe", "run_id": "probe", "id": "probe"})  # answered: the unsubscribe was read
    await feed.until(lambda m: m.get("id") == "probe")
    seen = len(feed.seen)
    run_id = launch(plain_test)
    await (await connect()).records(run_id)  # it started and ended: the feed would have changed twice
    await feed.send({"type": "subscribe", "run_id": "probe-2", "id": "probe-2"})
    await feed.until(lambda m: m.get("id") == "probe-2")
    assert [m["type"] for m in feed.seen[seen:]] == ["error"]  # only probe-2's answer: no reply, no snapshot


async def test_a_viewers_answer_is_forbidden_in_band_and_the_prompt_stays_open(connect, http, launch, prompt_test):
    run_id = launch(prompt_test)
    operator = await connect()
    await operator.send({"type": "subscribe", "run_id": run_id})
    confirm = await operator.until(lambda m: m["type"] == "prompt")
    if http.request("GET", "/api/session")[1]["role"] != "admin":  # no viewer to ask with: the operator answers
        assert (await answer(operator, confirm, True, "o1", "op"))["type"] == "prompt_accepted"
        return
    name = f"conformance-viewer-{uuid.uuid4().hex[:8]}"
    status, issued = http.request("POST", "/api/tokens", {"name": name, "role": "viewer"})
    assert status == 201, issued
    try:
        viewer = await connect(token=issued["token"])
        refused = await answer(viewer, confirm, True, "v1", "viewer")
        assert (refused["type"], refused["code"], refused["id"], refused["run_id"]) == (
            "error",
            "forbidden",
            "v1",
            run_id,
        )
        assert (await answer(operator, confirm, True, "o1", "op"))["type"] == "prompt_accepted"  # it was still open
    finally:
        http.request("DELETE", f"/api/tokens/{name}")


async def test_the_active_feed_lists_every_live_run_oldest_first(connect, launch, prompt_test) -> None:
    feed = await connect()
    await feed.send({"type": "subscribe_active"})
    first = launch(prompt_test)
    second = launch(prompt_test)

    def both(m: dict) -> bool:
        return m["type"] == "active_runs" and {first, second} <= {r["run_id"] for r in m["runs"]}

    runs = (await feed.until(both))["runs"]
    ids = [r["run_id"] for r in runs]
    assert ids.index(first) < ids.index(second)
    assert [r["created_at"] for r in runs] == sorted(r["created_at"] for r in runs)
