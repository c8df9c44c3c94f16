"""The fleet's EventStore: Redis Streams, shared by every node (`--store redis://host:port/db`).

One stream per run, each record under the ID `0-<seq>`; the summary, the live-runs index,
channel readings, snapshots and open prompts sit beside it. A commit is one Lua script, so a
batch lands whole or not at all, and a retried batch (its reply lost) is applied once. Only
the node that owns a live run writes to it: the owner is recorded in `litmus:live`, and a
write from anyone else is refused (fenced), so no seq is ever written twice or left out.
Runs live on other nodes are followed through follow.py.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
import uuid
from collections.abc import Callable

import msgspec
import redis

from litmus_live.events import Record
from litmus_live.store.base import PAGE_BYTES, PAGE_RECORDS, EventStore, SampleBatch
from litmus_live.store.follow import STATE_PREFIX, Follower
from litmus_live.store.summary import RunQuery, RunSummary
from litmus_live.store.tail import EMPTY, Page, Tail, take

log = logging.getLogger(__name__)
PREFIX = "litmus:"
LIVE = PREFIX + "live"  # hash: live run id -> the node that owns (writes) it
RUNS = PREFIX + "runs"  # hash: run id -> summary
CREATED = PREFIX + "created"  # sorted set: run id by creation time
FEED = PREFIX + "feed"  # stream: committed summaries of live runs, for every node's active list
FEED_KEEP = 10_000
STATE_KEEP = 100  # channel deltas kept per run: a node that starts following gets a snapshot
# A run's summary goes to the feed at most this often (its first and last always), so that a
# busy station's commits do not flood every node: the last one held back follows by a timer.
FEED_INTERVAL = 0.2
_PROMPT_PREFIX = b'{"type":"prompt"'
_decode_summary = msgspec.json.Decoder(RunSummary).decode
_decode_prompt_id = msgspec.json.Decoder(dict[str, object]).decode
_encode_samples = msgspec.msgpack.Encoder().encode
_TAIL_PAGE = 1000
_RECORD_BYTES = 256  # a first guess of a record's size, to size the first page read


class _Line(msgspec.Struct):
    kind: str = ""
    stream: str = ""
    line: str = ""


class _LineRecord(msgspec.Struct):
    data: _Line | None = None


_decode_line_record = msgspec.json.Decoder(_LineRecord).decode
_decode_samples = msgspec.msgpack.Decoder(tuple[str, str, list[float], list[float | bool | str]]).decode


def log_key(run_id: str) -> str:
    return f"{PREFIX}log:{run_id}"


def prompts_key(run_id: str) -> str:
    return f"{PREFIX}prompts:{run_id}"


def _samples_key(run_id: str) -> str:
    return f"{PREFIX}samples:{run_id}"


def _counts_key(run_id: str) -> str:
    return f"{PREFIX}counts:{run_id}"


def _channels_key(run_id: str) -> str:
    return f"{PREFIX}channels:{run_id}"


# ARGV: node, commit token, then groups, each led by its count: earlier tries whose replies
# were lost (number, how many sample batches it carried), runs whose epoch is renewed
# (run; told to every node on `litmus:epochs`), records (run, seq, body), summaries (run,
# body, created, is_final, fed), samples (run, channel, n, blob), snapshots (run, body),
# prompts (run, prompt_id, body). Returns the runs
# whose records were refused (not ours), and the runs whose stream does not end where their
# records begin, each with the stream's last seq (Redis lost its tail): none of theirs written.
_WRITE = """
local P, node = 'litmus:', ARGV[1]
-- a retried batch whose first try did land is applied once: commits of one process are numbered
local instance, number = string.match(ARGV[2], '^(.*):(%d+)$')
local applied = tonumber(redis.call('HGET', P .. 'commits', instance) or '0')
if applied >= tonumber(number) then return {{}, {}} end
redis.call('HSET', P .. 'commits', instance, number)
local i, owners, refused, short, renewed = 3, {}, {}, {}, {}
-- a retry carries the readings of the tries before it first, in order: those of the last try
-- that did land (its number is applied) are written already, and are skipped (`landed`)
local n, landed = tonumber(ARGV[i]), 0; i = i + 1
for _ = 1, n do
  if applied >= tonumber(ARGV[i]) then landed = math.max(landed, tonumber(ARGV[i + 1])) end
  i = i + 2
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  redis.call('SET', P .. 'epoch:' .. ARGV[i], ARGV[2]); renewed[ARGV[i]] = true
  redis.call('XADD', P .. 'epochs', 'MAXLEN', '~', '1000', '*', 'run', ARGV[i], 'e', ARGV[2]); i = i + 1
end
-- a run's records go on where its stream ends. Those of them the stream holds already were
-- written by an earlier try of this node's whose reply was lost (Redis gone mid-commit), and
-- which came back merged into a later batch: they are skipped, not written twice (`held`)
local held = {}
local function continues(run, seq)
  if renewed[run] then return true end
  local top = redis.call('XREVRANGE', P .. 'log:' .. run, '+', '-', 'COUNT', 1)[1]
  local have = top and tonumber(string.match(top[1], '^0%-(%d+)$')) or 0
  if seq == '1' then redis.call('SET', P .. 'epoch:' .. run, ARGV[2], 'NX') end
  if have >= tonumber(seq) then held[run] = have; return true end
  if have == tonumber(seq) - 1 then return true end
  table.insert(short, run); table.insert(short, have)
  return false
end
local function owns(run, seq)
  if owners[run] == nil then
    local owner = redis.call('HGET', P .. 'live', run)
    -- no owner and no log: a new run, or one whose station writes it again after Redis lost it
    if not owner and redis.call('EXISTS', P .. 'log:' .. run) == 0 then
      redis.call('HSET', P .. 'live', run, node)
      owner = node
    end
    owners[run] = (owner == node)
    if not owners[run] then table.insert(refused, run) else owners[run] = continues(run, seq) end
  end
  return owners[run]
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  if owns(ARGV[i], ARGV[i + 1]) and tonumber(ARGV[i + 1]) > (held[ARGV[i]] or 0) then
    redis.call('XADD', P .. 'log:' .. ARGV[i], '0-' .. ARGV[i + 1], 'r', ARGV[i + 2])
  end
  i = i + 3
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  local run = ARGV[i]
  if owners[run] ~= false and (owners[run] or redis.call('HGET', P .. 'live', run) == node) then
    redis.call('HSET', P .. 'runs', run, ARGV[i + 1])
    redis.call('ZADD', P .. 'created', 'NX', ARGV[i + 2], run)
    if ARGV[i + 3] == '1' then
      redis.call('HDEL', P .. 'live', run)
      redis.call('DEL', P .. 'state:' .. run)
    end
    if ARGV[i + 4] == '1' then
      redis.call('XADD', P .. 'feed', 'MAXLEN', '~', ARGV[#ARGV], '*', 'run', run, 's', ARGV[i + 1])
    end
  end
  i = i + 5
end
n = tonumber(ARGV[i]); i = i + 1
for k = 1, n do
  if k > landed then
    redis.call('RPUSH', P .. 'samples:' .. ARGV[i], ARGV[i + 3])
    redis.call('HINCRBY', P .. 'counts:' .. ARGV[i], ARGV[i + 1], ARGV[i + 2])
  end
  i = i + 4
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  redis.call('SET', P .. 'channels:' .. ARGV[i], ARGV[i + 1]); i = i + 2
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  redis.call('HSET', P .. 'prompts:' .. ARGV[i], ARGV[i + 1], ARGV[i + 2]); i = i + 3
end
return {refused, short}
"""
# KEYS: live, feed; ARGV: node, keep, then (run, summary) pairs: the summaries held back from
# the feed, each added while the run is still this node's.
_FEED_OWED = """
for i = 3, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[1] then
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'run', ARGV[i], 's', ARGV[i + 1])
  end
end
"""


class EveryCommit:
    """Every commit writes the summaries of the runs it touched (one HSET each, in the commit's
    script): other nodes read a live run's summary from Redis, and it must be the one its last
    committed record gives, not a checkpoint to fold forward."""

    def is_due(self, summary: RunSummary) -> bool:
        return True

    def wrote(self, summary: RunSummary) -> None:
        pass


def connect(url: str, *, timeout: float = 2.0) -> redis.Redis:
    """A client whose every call gives up after `timeout` seconds (no hang when Redis is gone)."""
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout, health_check_interval=5)


class RedisStore(EventStore):
    read_faults = (redis.RedisError,)

    def __init__(self, url: str, *, node: str, **kwargs: float) -> None:
        super().__init__(**kwargs)
        self._checkpoints = EveryCommit()
        self.url = url
        self.node = node
        self.client = connect(url)
        self._write_script = self.client.register_script(_WRITE)
        self._feed_script = self.client.register_script(_FEED_OWED)
        # a page of a log is one XRANGE: its entries as hiredis gives them, joined, no dict each
        self.client.set_response_callback("XRANGE", lambda reply, **options: reply)
        self._record_bytes = _RECORD_BYTES  # the last page's average record, to size the next
        self._fed: dict[str, float] = {}  # run -> when its summary last went to the feed (writer thread)
        self._owed: dict[str, bytes] = {}  # run -> its newest summary held back (writer thread)
        self._owed_timer: asyncio.TimerHandle | None = None
        self._commits = itertools.count(1)
        # (number, sample batches carried) of each try since the last that was answered (writer thread)
        self._unsure: list[tuple[int, int]] = []
        self._instance = uuid.uuid4().hex
        self._fenced: set[str] = set()
        self._renew: set[str] = set()  # runs whose next commit gives their log a new epoch
        self.on_fenced: Callable[[str], None] = lambda run_id: None
        self.follower = Follower(url, self)
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- lifetime ------------------------------------------------------------------------

    async def open(self) -> None:
        self._loop = asyncio.get_running_loop()
        await super().open()
        await self.follower.start()

    async def close(self) -> None:
        await self.follower.stop()
        await super().close()

    def _io_open(self) -> None:
        self.client.ping()

    def _io_close(self) -> None:
        self.client.close()

    def _io_close_reader(self) -> None:
        pass

    # -- writing -------------------------------------------------------------------------

    def append(self, record: Record) -> Record:
        if record.run_id in self._fenced:
            return record  # another node closed this run: nothing more of ours goes into it
        return super().append(record)

    def _io_write(
        self,
        batch: list[tuple[str, int, bytes]],
        runs: list[tuple[str, bytes]],
        samples: list[SampleBatch],
        snapshots: list[tuple[str, bytes]],
    ) -> None:
        renew, self._renew = self._renew, set()
        number = next(self._commits)
        args: list[object] = [self.node, f"{self._instance}:{number}", len(self._unsure)]
        for unsure in self._unsure:
            args += unsure
        args += (len(renew), *renew)
        args += self._rows(batch, runs, samples, snapshots)
        try:
            refused, short = self._write_script(args=args)
        except Exception:
            self._renew |= renew  # the commit is retried: so is the new epoch
            self._may_have_landed(number, len(samples))  # its reply lost: Redis may have run it
            raise
        self._unsure = []
        if refused and self._loop is not None:
            self._loop.call_soon_threadsafe(self._fence, [r.decode() for r in refused])
        if short:
            lost = dict(zip((r.decode() for r in short[::2]), map(int, short[1::2]), strict=True))
            try:
                self._refill(lost, batch, runs)
            except Exception:
                self._may_have_landed(number, len(samples))  # it did land: the retry skips its readings
                raise

    def _may_have_landed(self, number: int, samples: int) -> None:
        """A try whose outcome the retry must ask Redis about: the retry carries its `samples`
        batches of readings first, and Redis skips them if it applied `number`. A try that
        carried no more of them than the one before needs no entry of its own."""
        if not self._unsure or self._unsure[-1][1] != samples:
            self._unsure.append((number, samples))

    def _rows(
        self,
        batch: list[tuple[str, int, bytes]],
        runs: list[tuple[str, bytes]],
        samples: list[SampleBatch],
        snapshots: list[tuple[str, bytes]],
    ) -> list[object]:
        """The write script's groups from records on: each led by its count (see _WRITE)."""
        args: list[object] = [len(batch)]
        prompts = []
        for run_id, seq, body in batch:
            args += (run_id, seq, body)
            if body.startswith(_PROMPT_PREFIX):
                prompts.append((run_id, _decode_prompt_id(body)["prompt_id"], body))
        args.append(len(runs))
        for run_id, body in runs:
            summary = _decode_summary(body)
            fed = self._to_feed(run_id, body, summary.status.is_final)
            args += (run_id, body, summary.created_at.timestamp(), int(summary.status.is_final), int(fed))
        args.append(len(samples))
        for run_id, channel, unit, times, values in samples:
            args += (run_id, channel, len(values), _encode_samples((channel, unit, times, values)))
        args.append(len(snapshots))
        for run_id, body in snapshots:
            args += (run_id, body)
        args.append(len(prompts))
        for prompt in prompts:
            args += prompt
        args.append(FEED_KEEP)
        return args

    def _refill(
        self, short: dict[str, int], batch: list[tuple[str, int, bytes]], runs: list[tuple[str, bytes]]
    ) -> None:
        """Redis lost the tail of some runs' streams (an append-only file synced every second,
        a restart): write the lost records again from this node's memory, then the batch's. When
        memory no longer holds them, or Redis lost the whole stream (and its epoch with it), the
        run's log gets a new epoch: clients resync (§3.1, §4.2)."""
        again: list[tuple[str, int, bytes]] = []
        for run_id, have in short.items():
            mine = [record for record in batch if record[0] == run_id]
            tail, first = self._tails.get(run_id), mine[0][1]
            held = tail is not None and tail.first_seq <= have + 1
            if held:
                lost = tail.items[have + 1 - tail.first_seq : first - tail.first_seq]
                again += [(run_id, seq, body) for seq, body in zip(range(have + 1, first), lost, strict=True)]
                log.warning("run %s: Redis lost seqs %d-%d; written again from memory", run_id, have + 1, first - 1)
            else:
                log.error(
                    "run %s: Redis lost seqs %d-%d, no longer held here: a new epoch", run_id, have + 1, first - 1
                )
            if not held or have == 0:  # a stream lost whole took its epoch with it: a new one
                self._renew.add(run_id)
            again += mine
        self._io_write(again, [row for row in runs if row[0] in short], [], [])

    def _to_feed(self, run_id: str, body: bytes, is_final: bool) -> bool:
        """Whether this summary goes to the feed now; if not, it is owed (writer thread)."""
        now = time.monotonic()
        if is_final or now - self._fed.get(run_id, -FEED_INTERVAL) >= FEED_INTERVAL:
            self._owed.pop(run_id, None)
            if is_final:
                self._fed.pop(run_id, None)
            else:
                self._fed[run_id] = now
            return True
        if not self._owed and self._loop is not None:
            self._loop.call_soon_threadsafe(self._owe)
        self._owed[run_id] = body
        return False

    def _owe(self) -> None:
        if self._owed_timer is None:
            self._owed_timer = asyncio.get_running_loop().call_later(FEED_INTERVAL, self._pay)

    def _pay(self) -> None:
        self._owed_timer = None
        task = asyncio.ensure_future(self._write(self._io_feed_owed))
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # a failure: the next commit feeds

    def _io_feed_owed(self) -> None:
        owed, self._owed = self._owed, {}
        if owed:
            args = [self.node, FEED_KEEP, *(x for pair in owed.items() for x in pair)]
            self._feed_script(keys=[LIVE, FEED], args=args)
            now = time.monotonic()
            self._fed.update(dict.fromkeys(owed, now))

    def share_state(self, run_id: str, frame: bytes) -> None:
        """A channel delta of a run of ours, for the nodes whose viewers follow it (after the
        commits queued before it, on the writer thread; a delta lost to an outage is not retried)."""
        task = asyncio.ensure_future(self._write(self._io_share_state, run_id, frame))
        task.add_done_callback(lambda t: t.cancelled() or t.exception())

    def _io_share_state(self, run_id: str, frame: bytes) -> None:
        self.client.xadd(STATE_PREFIX + run_id, {"f": frame}, maxlen=STATE_KEEP, approximate=True)

    def _fence(self, run_ids: list[str]) -> None:
        for run_id in run_ids:
            if run_id in self._live:
                log.warning("run %s is no longer ours to write (closed by another node); stopping it here", run_id)
                self._fenced.add(run_id)
                self._live.pop(run_id, None)
                self._shown.pop(run_id, None)
                self._tails.pop(run_id, None)
                self.on_fenced(run_id)

    @property
    def fault(self) -> str | None:
        """Why this node cannot commit, or cannot follow the fleet (its read of Redis fails)."""
        if (fault := super().fault) is not None:
            return fault
        return self.follower.down

    def follower_fault(self, reason: str | None) -> None:
        """The follower lost Redis (`reason`) or has it back (None): viewers here are told."""
        if self._outage.cause is None:
            self._outage.on_fault(reason)

    def adopt(self, summary: RunSummary) -> None:
        """Take over writing a live run whose owner is gone (the caller won it in Redis). What
        Redis holds of it may lack what its owner committed last: its log gets a new epoch."""
        self._renew.add(summary.run_id)
        self._live[summary.run_id] = summary
        self._shown[summary.run_id] = msgspec.structs.replace(summary, open_prompts=list(summary.open_prompts))
        self._tails[summary.run_id] = Tail(summary.last_seq + 1, self._tail_size)

    # -- reading -------------------------------------------------------------------------

    def _close_stale(self, stale: RunSummary) -> None:
        """A run of ours left live by our last life: closed here, in a new epoch (as adopt)."""
        self._renew.add(stale.run_id)
        super()._close_stale(stale)

    async def epoch(self, run_id: str) -> str:
        return await self._read(self._io_epoch, run_id)

    def _io_epoch(self, run_id: str) -> str:
        found = self.client.get(f"{PREFIX}epoch:{run_id}")
        return "" if found is None else found.decode()

    def read_fault_text(self, exc: Exception) -> str:
        return f"the fleet's store cannot be reached: {exc}"

    def committed_head(self, run_id: str) -> int | None:
        head = super().committed_head(run_id)
        return self.follower.head(run_id) if head is None else head

    def tail_page(self, run_id: str, after: int) -> Page | None:
        page = super().tail_page(run_id, after)
        if page is None and run_id not in self._live:  # a run of another node: what the follower holds
            held = self.follower.records_after(run_id, after, PAGE_RECORDS, PAGE_BYTES)
            return None if held is None else Page.of(held)
        return page

    async def since(
        self, run_id: str, after: int, *, limit: int = PAGE_RECORDS, max_bytes: int = PAGE_BYTES
    ) -> list[bytes]:
        if run_id not in self._live:
            held = self.follower.records_after(run_id, after, limit, max_bytes)
            if held is not None:
                return held
        return await super().since(run_id, after, limit=limit, max_bytes=max_bytes)

    async def summary(self, run_id: str) -> RunSummary:
        """As committed; a run of another node is read fresh from Redis (the feed may lag behind
        what a client saw on another node), and what this node knows of it is brought up to it."""
        found = await super().summary(run_id)
        if run_id not in self._live:
            self.follower.learn(found)
            return self.follower.summary(run_id) or found
        return found

    def live_runs(self) -> list[RunSummary]:
        """Every live run of the fleet: this node's as they are now, the others' as committed."""
        return [*super().live_runs(), *self.follower.live_runs()]

    def local_runs(self) -> list[RunSummary]:
        return super().live_runs()

    def watch(self, run_id: str) -> None:
        if run_id not in self._live:
            self.follower.watch(run_id)

    def unwatch(self, run_id: str) -> None:
        if run_id not in self._live:
            self.follower.unwatch(run_id)

    def _io_since(self, run_id: str, after: int, limit: int, max_bytes: int) -> list[bytes]:
        entries = self.client.xrange(log_key(run_id), f"(0-{after}", "+", count=limit)
        return take((fields[1] for _, fields in entries), limit, max_bytes)

    def _io_page(self, run_id: str, after: int) -> Page:
        """One page past `after`: as many records as the last page's average says fit PAGE_BYTES
        (cut when they came out larger). Its count is the seqs it spans: where Redis lost some
        (a new epoch), the reader's cursor moves past them."""
        count = min(PAGE_RECORDS, max(1, PAGE_BYTES // self._record_bytes))
        entries = self.client.xrange(log_key(run_id), f"(0-{after}", "+", count=count)
        if not entries:
            return EMPTY
        bodies = [fields[1] for _, fields in entries]
        body = b",".join(bodies)
        if len(body) > PAGE_BYTES and len(bodies) > 1:
            bodies = take(bodies, count, PAGE_BYTES)
            body = b",".join(bodies)
        self._record_bytes = max(1, len(body) // len(bodies))
        return Page(int(entries[len(bodies) - 1][0][2:]) - after, body)

    async def last_output(self, run_id: str, count: int) -> list[tuple[str, str]]:
        """The last `count` output lines of a run, oldest first (a live run of any node)."""
        return await self._read(self._io_last_output, run_id, count)

    def _io_last_output(self, run_id: str, count: int) -> list[tuple[str, str]]:
        lines: list[tuple[str, str]] = []
        top = "+"
        while len(lines) < count:
            entries = self.client.xrevrange(log_key(run_id), top, "-", count=_TAIL_PAGE)
            for _, fields in entries:
                data = _decode_line_record(fields[b"r"]).data
                if data is not None and data.kind == "output":
                    lines.append((data.stream, data.line))
            if len(entries) < _TAIL_PAGE:
                break
            top = "(" + entries[-1][0].decode()
        return lines[:count][::-1]

    def _io_channel_snapshot(self, run_id: str) -> bytes | None:
        return self.client.get(_channels_key(run_id))

    def _io_sample_counts(self, run_id: str) -> dict[str, int]:
        counts = self.client.hgetall(_counts_key(run_id))
        return {k.decode(): int(v) for k, v in sorted(counts.items())}

    def _io_samples(self, run_id: str, channel: str) -> list[tuple[float, float | bool | str]]:
        out: list[tuple[float, float | bool | str]] = []
        for _, name, _, times, values in self._io_sample_batches(run_id):
            if name == channel:
                out.extend(zip(times, values, strict=True))
        return out

    def _io_sample_batches(self, run_id: str) -> list[SampleBatch]:
        return [(run_id, *_decode_samples(blob)) for blob in self.client.lrange(_samples_key(run_id), 0, -1)]

    def _io_summary(self, run_id: str) -> RunSummary | None:
        body = self.client.hget(RUNS, run_id)
        return None if body is None else _decode_summary(body)

    def _io_runs(self, query: RunQuery) -> list[RunSummary]:
        """Newest first from the creation index, a page at a time, until `query.limit` match."""
        top = "+inf" if query.before is None else query.before[0].timestamp()
        top = top if query.until is None else min(float(top), query.until.timestamp())
        bottom = "-inf" if query.since is None else query.since.timestamp()
        found: list[RunSummary] = []
        page, start = max(query.limit, 200), 0
        while len(found) < query.limit:
            ids = self.client.zrevrangebyscore(CREATED, top, bottom, start=start, num=page)
            bodies = self.client.hmget(RUNS, ids) if ids else []
            found += [s for s in map(_decode_summary, filter(None, bodies)) if query.matches(s)]
            if len(ids) < page:
                break
            start += page
        return found

    def _io_live_runs(self) -> list[RunSummary]:
        """This node's runs left live by its last life (a crash): they are closed on open."""
        mine = [run for run, owner in self.client.hgetall(LIVE).items() if owner.decode() == self.node]
        bodies = self.client.hmget(RUNS, mine) if mine else []
        return [_decode_summary(body) for body in bodies if body is not None]

    def io_unknown(self, run_ids: list[str]) -> set[str]:
        """Of `run_ids`, those Redis holds no summary of (lost with its data)."""
        bodies = self.client.hmget(RUNS, run_ids) if run_ids else []
        return {run for run, body in zip(run_ids, bodies, strict=True) if body is None}

    def io_prompts(self, run_id: str, prompt_ids: list[str]) -> list[bytes | None]:
        """The records of some prompts of a run (any node's), as the station committed them."""
        return self.client.hmget(prompts_key(run_id), prompt_ids)

    def io_fleet_live(self) -> dict[str, tuple[str, RunSummary]]:
        """Every live run of the fleet: run id -> (owner, summary as committed)."""
        owners = {run.decode(): owner.decode() for run, owner in self.client.hgetall(LIVE).items()}
        bodies = self.client.hmget(RUNS, list(owners)) if owners else []
        return {run: (owners[run], _decode_summary(body)) for run, body in zip(owners, bodies, strict=True) if body}
