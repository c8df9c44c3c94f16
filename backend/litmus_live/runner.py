"""Starts, watches and aborts pytest subprocesses, and turns what they report into records.

Fed by POST /api/runs; feeds the store through `emit`. pytest runs in the station's Python
(`python`, by default the server's own) with our plugin and no option of ours that could
change an outcome; the plugin reports over a private socket pair, stdout and stderr are read
line by line. The exit code decides the verdict; the process group ends with the run.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import shutil
import signal
import socket
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path

import msgspec

from litmus_live import reports as r
from litmus_live.events import AbortRequested, Record, RunCreated, Status, Stream
from litmus_live.live_run import MAX_LINE, LiveRun, OpenPrompt, Readings
from litmus_live.output_log import OutputLog
from litmus_live.plugin.definitions import FD_ENV, MAX_FRAME
from litmus_live.store import StoreUnavailable
from litmus_live.verdict import pytest_said, verdict

log = logging.getLogger(__name__)
_READ_CHUNK = 64 * 1024
_DRAIN_AFTER_EXIT = 2.0
_GROUP_POLL = 0.05
STOPPED_REASON = "server stopped during the run"
PLUGIN_DIR = Path(__file__).resolve().parent / "plugin"
# The test process loads the plugin from its folder, under a name of its own: nothing else of
# ours becomes importable there, and pytest gets the module as an object (no rewrite warning).
_BOOTSTRAP = (
    "import importlib.util, sys\n"
    "d = sys.argv.pop(1)\n"
    "spec = importlib.util.spec_from_file_location('litmus_live_plugin', d + '/__init__.py',"
    " submodule_search_locations=[d])\n"
    "plugin = importlib.util.module_from_spec(spec)\n"
    "sys.modules[spec.name] = plugin\n"
    "spec.loader.exec_module(plugin)\n"
    "import os\n"
    "plugin.TERMINAL_FDS = (os.dup(1), os.dup(2))\n"
    "import pytest\n"
    "raise SystemExit(pytest.main(plugins=[plugin]))\n"
)
_PYTEST_ARGS = ("--color=no",)


MAX_NAME = 255  # bytes in one file or folder name, as the file systems allow
RECORD_WAIT = 5.0  # seconds a launch or an abort waits for its record to be committed before it is refused


class InvalidTestPath(ValueError):
    pass


class NotLive(LookupError):
    pass


class LaunchRequest(msgspec.Struct, frozen=True, kw_only=True):
    test_path: str
    uut_serial: str
    operator: str = ""
    station: str = ""


def resolve_test_path(root: Path, test_path: str) -> str:
    """The absolute pytest argument for `test_path` ("file.py" or "file.py::test"), inside `root`."""
    try:
        return _resolve(root, test_path)
    except (RuntimeError, OSError) as exc:  # a link loop (RuntimeError before Python 3.13), or what the OS refuses
        why = "a loop of symbolic links" if isinstance(exc, RuntimeError) or exc.errno == errno.ELOOP else exc.strerror
        raise InvalidTestPath(
            f"test_path {json.dumps(test_path, ensure_ascii=False)} cannot be followed: {why}"
        ) from None


def _resolve(root: Path, test_path: str) -> str:
    path_part, sep, rest = test_path.partition("::")
    root, quoted = root.resolve(), json.dumps(test_path, ensure_ascii=False)
    if not path_part or "\0" in test_path:
        raise InvalidTestPath(f"test_path must name a file or folder under the test root, got {quoted}")
    if long := next((p for p in Path(path_part).parts if len(p.encode()) > MAX_NAME), None):
        raise InvalidTestPath(f"test_path has a name of {len(long.encode())} bytes; at most {MAX_NAME} are allowed")
    target = (root / path_part).resolve()
    if not target.is_relative_to(root):
        raise InvalidTestPath(f"test_path {quoted} is outside the test root {root}")
    if not target.exists():
        raise InvalidTestPath(f"test_path {quoted} does not exist under the test root {root}")
    if target.is_dir() and (link := _link_out_of(target, root)) is not None:
        raise InvalidTestPath(f"test_path {quoted} holds {link}, a link out of the test root: nothing in it runs")
    return f"{target}{sep}{rest}"


def _link_out_of(folder: Path, root: Path) -> str | None:
    """The first symbolic link under `folder` that leads outside `root` (pytest would follow it)."""
    for here, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(here) / name
            if path.is_symlink() and not path.resolve().is_relative_to(root):
                return str(path.relative_to(root))
    return None


def is_own_python(python: str) -> bool:
    """Whether `python` is the server's interpreter in the server's environment (same bin folder)."""
    found = shutil.which(python) or python
    return Path(found).absolute().parent == Path(sys.executable).absolute().parent


class Runner:
    def __init__(
        self,
        *,
        tests_root: Path,
        data_dir: Path,
        emit: Callable[[Record], Record],
        durable: Callable[[], Awaitable[None]],
        open_prompt: OpenPrompt,
        withdraw_prompts: Callable[[str, str], None],
        readings: Readings,
        abort_grace: float = 5.0,
        python: str = sys.executable,
    ) -> None:
        self._root = tests_root
        self._data_dir = data_dir
        self._emit = emit
        self._durable = durable  # returns once everything emitted so far is committed
        self._open_prompt = open_prompt
        self._withdraw_prompts = withdraw_prompts
        self._readings = readings
        self._abort_grace = abort_grace
        self._python = python
        self._runs: dict[str, LiveRun] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def launch(self, request: LaunchRequest) -> str:
        """Start a run of `request.test_path`: its test process starts once its run_created record is
        durable. Returns its run id. Raises InvalidTestPath, and OSError when the disk refuses the run's
        folder or output log (then nothing is recorded)."""
        target = resolve_test_path(self._root, request.test_path)
        run_id = str(uuid.uuid4())
        run_dir = self._data_dir / "runs" / run_id
        run_dir.mkdir(parents=True, exist_ok=True)
        # made before anything is recorded: a disk that refuses them refuses the launch
        run = LiveRun(run_id, self._emit, self._open_prompt, self._readings, OutputLog(run_dir / "output.log"))
        # what a test may want to know about its run (e.g. to label a report or seed a fixture)
        run.environment = {
            "LITMUS_RUN_ID": run_id,
            "LITMUS_UUT_SERIAL": request.uut_serial,
            "LITMUS_OPERATOR": request.operator,
            "LITMUS_STATION": request.station,
        }
        meta = RunCreated(
            test_path=request.test_path,
            uut_serial=request.uut_serial,
            operator=request.operator,
            station=request.station,
        )
        run.event(meta, run.started)
        self._runs[run_id] = run
        self._spawn(self._supervise(run, target), f"run-{run_id}")
        return run_id

    async def started(self, run_id: str, wait: float = RECORD_WAIT) -> bool:
        """Whether the run's run_created became durable within `wait` (its tests start then). If not,
        the run is given up: none of its tests runs, and it ends ERROR "not started" once the store
        commits. Raises StoreUnavailable when the store closed first."""
        try:
            await asyncio.wait_for(self._durable(), wait)
        except TimeoutError:
            return not self.give_up(run_id, f"not started: the launch was not recorded within {wait:g} s")
        return True

    def give_up(self, run_id: str, reason: str) -> bool:
        """Do not start a run whose run_created is not durable yet: it ends ERROR with `reason` once
        the store commits. False when it is too late (the record is durable, the process starting)."""
        run = self._runs.get(run_id)
        if run is None or run.is_recorded:
            return False
        run.stop_reason = reason
        return True

    def is_live(self, run_id: str) -> bool:
        return run_id in self._runs

    def tail(self, run_id: str) -> list[tuple[Stream, str]] | None:
        run = self._runs.get(run_id)
        return None if run is None else list(run.tail)

    def log_path(self, run_id: str) -> Path:
        return self._data_dir / "runs" / run_id / "output.log"

    async def abort(self, run_id: str, by: str = "operator") -> None:
        """Record that `by` aborts a live run and, once that record is durable, interrupt it (SIGINT, then
        SIGKILL after the grace). Returns once the test process is signalled; raises NotLive, and
        StoreUnavailable when the store closed before the record was committed (then nothing was done)."""
        run = self._runs.get(run_id)
        if run is None:
            raise NotLive(f"run {run_id} is not live here")
        if run.abort is None:  # one abort per run: a second request waits for the first
            run.abort = self._spawn(self._abort(run, by), f"abort-{run_id}")
        await asyncio.shield(run.abort)

    async def _abort(self, run: LiveRun, by: str) -> None:
        run.event(AbortRequested(who=by))
        await self._durable()
        if run.is_closed:
            return  # it ended on its own while the record waited for the store
        run.is_aborted, run.aborted_by = True, by
        self._interrupt(run, "the run was aborted")

    def _spawn(self, work: Coroutine[None, None, None], name: str) -> asyncio.Task[None]:
        """A task the runner keeps (join waits for it); what it raises is its awaiter's to see, if any."""
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        return task

    def stop_all(self, reason: str) -> None:
        """End every live run as ERROR with `reason` (the store cannot keep what they report)."""
        for run in self._runs.values():
            if not run.stop_reason:
                run.stop_reason = reason
                self._interrupt(run, reason)

    def _interrupt(self, run: LiveRun, why: str) -> None:
        """SIGINT now (its prompts withdrawn first), SIGKILL if the run has not ended after the grace."""
        self._withdraw_prompts(run.run_id, why)
        self._signal(run, signal.SIGINT)
        self._spawn(self._end_group(run), f"interrupt-{run.run_id}")

    async def join(self) -> None:
        """Return once every run started so far has completed."""
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def close_live(self) -> set[str]:
        """The server is stopping: each live run ends ERROR, recorded at once, and its processes get SIGTERM.
        Returns the ids of the runs it ended."""
        closed = {run.run_id for run in self._runs.values() if not run.is_closed}
        for run in list(self._runs.values()):
            if not run.is_closed:
                self._withdraw_prompts(run.run_id, STOPPED_REASON)
                run.complete(Status.ERROR, None, STOPPED_REASON)
            self._signal(run, signal.SIGTERM)
        return closed

    async def shutdown(self) -> None:
        """Stop every live run (recorded, if close_live has not done it) and wait for its processes, killing
        what is left after the grace."""
        self.close_live()
        await asyncio.gather(*(self._end_group(run) for run in list(self._runs.values())), return_exceptions=True)
        await self.join()

    async def _end_group(self, run: LiveRun) -> None:
        try:
            await asyncio.wait_for(asyncio.shield(run.done), self._abort_grace)
        except TimeoutError:
            self._signal(run, signal.SIGKILL)

    @staticmethod
    def _signal(run: LiveRun, sig: signal.Signals | int) -> bool:
        """Send `sig` to the run's process group; False when nothing of it is left."""
        if run.process is None:
            return False
        try:
            os.killpg(run.process.pid, sig)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    async def _supervise(self, run: LiveRun, target: str) -> None:
        try:
            exit_code, failure = await self._start(run, target)
            failure = failure or run.stop_reason
            self._withdraw_prompts(run.run_id, "the test process ended")
            if not run.is_closed:
                run.complete(*self._verdict(run, exit_code, failure))
        except StoreUnavailable:
            log.error("run %s was never recorded (the store closed first): its tests did not run", run.run_id)
        except Exception:  # a run must never stay live because the runner failed
            log.exception("runner failed while supervising run %s", run.run_id)
            if not run.is_closed:
                run.complete(
                    Status.ERROR, None, "runner failure: the server failed while running this run (its log says how)"
                )
        finally:
            del self._runs[run.run_id]
            run.log.close()
            run.done.set_result(None)

    async def _start(self, run: LiveRun, target: str) -> tuple[int | None, str]:
        """Run the test process once the run is durably in the log, unless it was given up, aborted or
        closed meanwhile (then no test runs)."""
        await self._durable()
        run.is_recorded = True
        if run.stop_reason or run.is_aborted or run.is_closed:
            return None, ""
        return await self._execute(run, target)

    def _verdict(self, run: LiveRun, exit_code: int | None, failure: str) -> tuple[Status, int | None, str]:
        if failure:
            return Status.ERROR, exit_code, failure
        c = {**run.counts, **(run.final_counts or {})}
        said = pytest_said(exit_code, (line for _, line in run.tail), str(self._root.resolve()))
        status, words = verdict(
            exit_code, is_aborted=run.is_aborted, failed=c["failed"], errors=c["error"], total=run.total,
            collect_errors=run.collect_errors, said=said,
        )  # fmt: skip
        if status is Status.ABORTED:
            words = f"aborted by {run.aborted_by}"
        return status, exit_code, words

    def _environment(self, run: LiveRun, fd: int) -> dict[str, str]:
        env = {**os.environ, **run.environment, "PYTHONUNBUFFERED": "1", FD_ENV: str(fd)}
        if is_own_python(self._python):
            # the server's environment holds plugins of ours (pytest-asyncio ...): none may load into the tests
            env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        else:
            # as if the station's environment were activated: its scripts first, not the server's venv
            env.pop("VIRTUAL_ENV", None)
            env["PATH"] = os.pathsep.join([str(Path(self._python).absolute().parent), env.get("PATH", "")])
        return env

    async def _execute(self, run: LiveRun, target: str) -> tuple[int | None, str]:
        ours, theirs = socket.socketpair()
        try:
            run.process = await asyncio.create_subprocess_exec(
                self._python, "-c", _BOOTSTRAP, str(PLUGIN_DIR), *_PYTEST_ARGS, target,
                cwd=self._root, env=self._environment(run, theirs.fileno()), pass_fds=(theirs.fileno(),),
                start_new_session=True, stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
        except OSError as exc:
            ours.close()
            return None, f"could not start the test process {self._python}: {exc.strerror or 'the system refused'}"
        finally:
            theirs.close()
        if run.is_aborted:
            self._signal(run, signal.SIGINT)
        readers = [
            asyncio.create_task(self._read_lines(run, run.process.stdout, Stream.STDOUT, run.log)),
            asyncio.create_task(self._read_lines(run, run.process.stderr, Stream.STDERR, run.log)),
            asyncio.create_task(self._read_reports(run, ours)),
        ]
        exit_code = await run.process.wait()
        await self._end_leftovers(run, readers)
        return exit_code, ""

    async def _end_leftovers(self, run: LiveRun, readers: list[asyncio.Task[None]]) -> None:
        """pytest has exited: whatever it left running in its group gets SIGTERM, then SIGKILL if any of it is
        still there after the grace (its pipes may close long before it ends: the group is what is waited for)."""
        if self._signal(run, signal.SIGTERM):
            deadline = time.monotonic() + self._abort_grace
            while time.monotonic() < deadline and self._signal(run, 0):
                await asyncio.sleep(_GROUP_POLL)
            self._signal(run, signal.SIGKILL)
        # Output a process outside the group still holds open must not keep the run from ending.
        _, late = await asyncio.wait(readers, timeout=_DRAIN_AFTER_EXIT)
        for task in late:
            task.cancel()

    @staticmethod
    async def _read_lines(run: LiveRun, stream: asyncio.StreamReader, tag: Stream, output_log: OutputLog) -> None:
        """Every line into the log exactly as written, and into records (over-long lines in pieces)."""
        # Neither the log file nor the store can stop this loop: both keep what they cannot
        # write yet, so the test never blocks on a full pipe.
        partial = b""
        while chunk := await stream.read(_READ_CHUNK):
            lines = (partial + chunk).split(b"\n")
            partial = lines.pop()
            output_log.write(b"".join(line + b"\n" for line in lines))
            for line in lines:
                run.on_line(tag, line.removesuffix(b"\r").decode(errors="replace"))
            while len(partial) > MAX_LINE:
                piece, partial = _cut(partial)
                output_log.write(piece)
                run.on_line(tag, piece.decode(errors="replace"))
        if partial:
            output_log.write(partial)
            run.on_line(tag, partial.decode(errors="replace"))

    @staticmethod
    async def _read_reports(run: LiveRun, sock: socket.socket) -> None:
        """Lines of JSON from the plugin; a line over MAX_FRAME bytes is skipped as it is read, never held."""
        reader, writer = await asyncio.open_connection(sock=sock)
        run.replies = writer
        held, is_skipping = b"", False
        try:
            while chunk := await reader.read(_READ_CHUNK):
                lines = (held + chunk).split(b"\n")
                held = lines.pop()
                for line in lines:
                    if not is_skipping and line.strip():
                        _take_report(run, line)
                    is_skipping = False
                if len(held) > MAX_FRAME:
                    if not is_skipping:
                        run.on_refused(r.Refused(f"a report line over {MAX_FRAME} bytes was skipped"))
                    held, is_skipping = b"", True
        finally:
            writer.close()


def _take_report(run: LiveRun, line: bytes) -> None:
    try:
        item = r.decode(line)
    except r.Refused as refused:
        run.on_refused(refused)
        return
    try:
        run.on_report(item)
    except Exception:  # a report we fail to handle is our bug: logged, and it fails only what it touches
        log.exception("run %s: a %s report could not be handled", run.run_id, item.__struct_config__.tag)
        why = f"a {item.__struct_config__.tag} report could not be handled (the server's log says why)"
        run.on_refused(r.Refused(why, getattr(item, "nodeid", None), getattr(item, "prompt_id", None)))


def _cut(data: bytes) -> tuple[bytes, bytes]:
    """The first MAX_LINE bytes of `data` at most, ending on a character boundary, and the rest."""
    end = MAX_LINE
    while end > MAX_LINE - 4 and data[end] & 0xC0 == 0x80:
        end -= 1
    return data[:end], data[end:]
