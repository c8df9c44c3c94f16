"""The Python client against a real server: watches, the active feed, answers, and lost connections."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json

import pytest
from conftest import TEST_USER, Server, free_port

from litmus_live import client
from litmus_live import protocol as p
from litmus_live.client import AnswerOutcome, Skipped
from litmus_live.events import Complete, Event, Prompt, PromptResolved, Record, RunCreated, Status, Via


class Relay:
    """A TCP relay in front of the server; `cut()` drops every connection through it, as a network would."""

    def __init__(self, target_port: int, port: int = 0) -> None:
        self.target_port = target_port
        self.port = port
        self._writers: list[asyncio.StreamWriter] = []
        self._pipes: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> Relay:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._server.close()
        self.cut()
        await asyncio.gather(*self._pipes)
        await self._server.wait_closed()

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def cut(self) -> None:
        for writer in self._writers:
            writer.transport.abort()
        self._writers.clear()

    async def _relay(self, down_reader: asyncio.StreamReader, down_writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers += [down_writer, up_writer]
        pipes = [asyncio.create_task(_pipe(down_reader, up_writer)), asyncio.create_task(_pipe(up_reader, down_writer))]
        self._pipes.update(pipes)
        await asyncio.gather(*pipes)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


def seqs(messages: list[object]) -> list[int]:
    return [m.seq for m in messages if isinstance(m, Record)]


async def test_watch_yields_a_finished_run_whole_then_ends(server: Server) -> None:
    run_id = server.launch("test_pass.py", serial="SN-1")
    async with client.connect(server.ws) as c:
        first = [m async for m in c.watch(run_id)]
        assert isinstance(first[0], p.Subscribed) and first[0].since_seq == 0
        assert isinstance(first[1], Event) and first[1].data == RunCreated(
            test_path="test_pass.py", uut_serial="SN-1", operator=TEST_USER
        )
        assert isinstance(first[-1], Complete) and first[-1].status is Status.PASSED
        assert seqs(first) == list(range(1, first[-1].seq + 1))
        again = [m async for m in c.watch(run_id, since_seq=5, epoch=first[0].epoch)]
        assert seqs(again) == list(range(6, first[-1].seq + 1)) and not again[0].resync
        # records of a history the store no longer holds: the server resyncs, the client says so
        lost = [m async for m in c.watch(run_id, since_seq=5, epoch="a-lost-history")]
        assert isinstance(lost[0], p.Subscribed) and (lost[0].resync, lost[0].since_seq) == (True, 0)
        assert lost[1:] == first[1:]
        assert c.welcome is not None and c.welcome.protocol == p.SUBPROTOCOL


async def test_a_caller_that_stops_at_complete_sends_no_unsubscribe(server: Server, caplog) -> None:
    """The server forgets a subscription once its `complete` is sent: unsubscribing then is an error."""
    run_id = server.launch("test_pass.py")
    caplog.set_level("WARNING", logger="litmus_live.client")
    async with client.connect(server.ws) as c:
        async with contextlib.aclosing(c.watch(run_id)) as records:
            async for record in records:
                if isinstance(record, Complete):
                    break
        # a second whole watch on the same connection: the server answers in order, so an error
        # for anything sent after the first watch would have arrived before this one ends
        assert isinstance([m async for m in c.watch(run_id)][-1], Complete)
    assert [r.getMessage() for r in caplog.records if r.name == "litmus_live.client"] == []


async def test_a_watch_started_right_after_one_was_left_early_gets_the_whole_run(server: Server) -> None:
    """The first watch's unsubscribe goes out before the second one's subscribe, never after it."""
    run_id = server.launch("test_pass.py")
    async with client.connect(server.ws) as c:
        first = [m async for m in c.watch(run_id)]
        for _ in range(3):
            async with contextlib.aclosing(c.watch(run_id)) as records:
                async for record in records:
                    if isinstance(record, Record):
                        break  # left before its end: the client unsubscribes
            async with asyncio.timeout(30):
                again = [m async for m in c.watch(run_id)]
            assert seqs(again) == seqs(first)


async def test_one_connection_serves_a_watch_a_feed_and_answers(server: Server) -> None:
    run_id = server.launch("test_prompts.py::test_setup", serial="SN-2")
    answers = {"insert_uut": True, "pick_bench": "bench_02", "chamber_temp": "21"}
    results: dict[str, list[client.AnswerResult]] = {}
    async with client.connect(server.ws, token=server.grant("ci")) as c:
        feed = c.active()
        assert [r.uut_serial for r in (await anext(feed)).runs] in (["SN-2"], [])
        records = []
        async for message in c.watch(run_id):
            records.append(message)
            if isinstance(message, Prompt):
                wrong = await c.answer(run_id, message.prompt_id, "not-it", who="ci")
                right = await c.answer(run_id, message.prompt_id, answers[message.name], who="ci")
                late = await c.answer(run_id, message.prompt_id, answers[message.name], who="other")
                results[message.name] = [wrong, right, late]
        while (await anext(feed)).runs:
            pass
        await feed.aclose()
        missing = await c.answer(run_id, "no-such-prompt", True)
    assert isinstance(records[-1], Complete) and records[-1].status is Status.PASSED
    for name, (wrong, right, late) in results.items():
        assert wrong.outcome is AnswerOutcome.INVALID and wrong.reason.startswith(f"invalid answer to prompt {name}:")
        assert right.is_accepted and right.run_id == run_id
        assert late.outcome is AnswerOutcome.ALREADY_ANSWERED and "by ci via script" in late.reason
    assert missing.outcome is AnswerOutcome.NOT_FOUND
    resolved = [m.data for m in records if isinstance(m, Event) and isinstance(m.data, PromptResolved)]
    assert [(r.value, r.who, r.via) for r in resolved] == [(v, "ci", Via.SCRIPT) for v in answers.values()]


async def test_watch_survives_dropped_connections_with_every_seq_once(server_factory) -> None:
    relay_port = free_port()  # the relay's address is the Host its clients name: the server must answer to it
    server = server_factory(env={"LITMUS_ALLOWED_HOSTS": f"127.0.0.1:{relay_port}"})
    server.start()
    run_id = server.launch("test_slow.py", serial="SN-3")
    async with Relay(server.port, relay_port) as relay, client.connect(relay.ws) as c:
        received, cuts = [], 0
        async for message in c.watch(run_id):
            received.append(message)
            if isinstance(message, Event) and "tick" in str(message.data) and cuts < 3:
                relay.cut()
                cuts += 1
    records = [m for m in received if isinstance(m, Record)]
    assert cuts == 3 and sum(isinstance(m, p.Subscribed) for m in received) == 4
    assert isinstance(records[-1], Complete) and records[-1].status is Status.PASSED
    assert seqs(records) == list(range(1, records[-1].seq + 1))


async def test_watch_resumes_across_a_server_crash_and_restart(server: Server) -> None:
    run_id = server.launch("test_slow.py")
    async with client.connect(server.ws) as c:
        received: list[object] = []
        async for message in c.watch(run_id):
            received.append(message)
            if isinstance(message, Event) and "tick 1" in str(message.data):
                server.kill()
                server.start()
    records = [m for m in received if isinstance(m, Record)]
    assert sum(isinstance(m, p.Subscribed) for m in received) >= 2
    assert isinstance(records[-1], Complete) and records[-1].status is Status.ERROR
    assert records[-1].reason == "server stopped during the run"
    assert seqs(records) == list(range(1, records[-1].seq + 1))


async def test_the_client_rides_through_a_graceful_restart(server: Server) -> None:
    first = server.launch("test_slow.py")
    async with client.connect(server.ws) as c:
        feed = c.active()
        assert [r.run_id for r in (await anext(feed)).runs] in ([], [first])
        received = []
        async for message in c.watch(first):
            received.append(message)
            if isinstance(message, Event) and "tick 1" in str(message.data):
                await asyncio.to_thread(server.stop)  # closes every connection with 1001
                await asyncio.to_thread(server.start)
        second = server.launch("test_slow.py")  # the same client, on the connection it reopened
        async with asyncio.timeout(60):
            while second not in [r.run_id for r in (await anext(feed)).runs]:
                pass
        await feed.aclose()
        assert (await anext(aiter(c.watch(second)))).run_id == second
    records = [m for m in received if isinstance(m, Record)]
    assert [r.seq for r in records] == list(range(1, records[-1].seq + 1)) and isinstance(records[-1], Complete)
    assert (records[-1].status, records[-1].reason) == (Status.ERROR, "server stopped during the run")


async def test_two_watches_of_one_run_each_get_every_seq(server: Server) -> None:
    run_id = server.launch("test_pass.py")
    async with client.connect(server.ws) as c:

        async def collect(since: int) -> list[int]:
            return seqs([m async for m in c.watch(run_id, since)])

        whole, tail = await asyncio.gather(collect(0), collect(3))
    assert whole == list(range(1, whole[-1] + 1)) and tail == whole[3:]


async def test_a_watch_of_an_unknown_run_raises_the_servers_error(server: Server) -> None:
    async with client.connect(server.ws) as c:
        with pytest.raises(client.ServerError) as caught:
            async for _ in c.watch("no-such-run"):
                pass
        assert caught.value.error.code == p.ErrorCode.RUN_NOT_FOUND
        records = [m async for m in c.watch(server.launch("test_pass.py"))]
        assert isinstance(records[-1], Complete)


async def test_a_server_that_is_not_there_fails_at_connect() -> None:
    with pytest.raises(OSError):
        async with client.connect("ws://127.0.0.1:9/ws"):
            pass


def test_unknown_message_types_are_dropped_and_unknown_records_only_advance_the_seq() -> None:
    frame = json.dumps(
        [
            {"type": "bulletin", "text": "from a newer server"},
            {"type": "event", "run_id": "r", "seq": 7, "ts": "2026-01-01T00:00:00Z", "data": {"kind": "sample"}},
            {"type": "telemetry", "run_id": "r", "seq": 8, "ts": "2026-01-01T00:00:00Z"},
            {"type": "welcome", "server": "x", "server_time": "2026-01-01T00:00:00Z", "extra": True},
        ]
    )
    assert client.decode_frame(frame) == [
        Skipped(run_id="r", seq=7),
        Skipped(run_id="r", seq=8),
        p.Welcome(server="x", server_time=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
    ]
