"""Real readers: the consumer's own decode step, run on each payload.

A ``py:module:function`` reference names a callable that takes the payload
bytes and raises when the consumer would fail on them (for example
``CommentEvent(**json.loads(b))`` followed by ``datetime.fromisoformat``).
Each exception becomes a ``reader_rejected`` finding: the message is the
exception's type and text, the path comes from the exception when it carries
one (pydantic's ``loc``, msgspec's "at `$.a.b`").

A reader is somebody else's code: it may hang or take the interpreter down.
:class:`GuardedReader` runs it in a worker process with a per-event time
limit; a hang or a crash becomes a finding for that event and a fresh worker
takes the next one. See docs/schemas-from-code.md.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import re
import sys
import threading
import weakref
from collections.abc import Iterator, Sequence
from typing import Any

from cdccheck.refs.derived import READER_REJECTED, Reader, ReaderFinding

__all__ = [
    "READER_REJECTED",
    "GuardedReader",
    "call_reader",
    "findings_from_exception",
    "run_with_time_limit",
]

_MSGSPEC_PATH = re.compile(r" - at `(\$[^`]*)`$")
_MSGSPEC_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\[\.\.\.\]")
_MESSAGE_LIMIT = 500


def _pointer(parts: Sequence[Any]) -> str:
    return "".join("/" + (str(part).replace("~", "~0").replace("/", "~1")) for part in parts)


def _msgspec_parts(path: str) -> list[Any]:
    parts: list[Any] = []
    for match in _MSGSPEC_STEP.finditer(path, 1):
        if match.group(1) is not None:
            parts.append(match.group(1))
        elif match.group(2) is not None:
            parts.append(int(match.group(2)))
        else:
            break  # `[...]`: a map value, the key is not named
    return parts


def _message(error: BaseException, text: str | None = None) -> str:
    body = str(error) if text is None else text
    first = body.strip().splitlines()[0] if body.strip() else ""
    message = f"{type(error).__name__}: {first}" if first else type(error).__name__
    if len(message) > _MESSAGE_LIMIT:
        message = message[: _MESSAGE_LIMIT - 3] + "..."
    return message


def findings_from_exception(error: BaseException) -> list[ReaderFinding]:
    """The findings one reader exception stands for (one per pydantic error)."""
    errors = getattr(error, "errors", None)
    if callable(errors) and type(error).__name__ == "ValidationError" and hasattr(error, "title"):
        try:
            details = errors()
        except Exception:  # fall back to the text
            details = None
        if details:
            return [
                ReaderFinding(
                    _pointer([part for part in detail.get("loc", ()) if part != "__root__"]),
                    _message(error, str(detail.get("msg", ""))),
                )
                for detail in details
            ]
    text = str(error)
    match = _MSGSPEC_PATH.search(text)
    if match is not None:
        return [ReaderFinding(_pointer(_msgspec_parts(match.group(1))), _message(error))]
    path = getattr(error, "path", None)
    if isinstance(path, str) and (path == "" or path.startswith("/")):
        return [ReaderFinding(path, _message(error))]
    if isinstance(path, list | tuple):
        return [ReaderFinding(_pointer(path), _message(error))]
    return [ReaderFinding("", _message(error))]


def call_reader(function: Any) -> Reader:
    """A :data:`Reader` that calls ``function(payload)``; an exception is a finding."""

    def read(payload: bytes) -> list[ReaderFinding]:
        try:
            function(payload)
        except Exception as error:  # whatever the consumer raises
            return findings_from_exception(error)
        return []

    return read


def run_with_time_limit(reader: Reader, payload: bytes, time_limit: float) -> list[ReaderFinding]:
    """Run ``reader`` in a worker thread; past ``time_limit`` seconds it is a finding.

    In-process: a reader that hangs is abandoned (its daemon thread keeps
    running), one that crashes the interpreter takes the run with it. Use
    :class:`GuardedReader` to survive both.
    """
    outcome: list[list[ReaderFinding]] = []

    def work() -> None:
        try:
            outcome.append(reader(payload))
        except BaseException as error:  # SystemExit and friends included
            outcome.append(findings_from_exception(error))

    worker = threading.Thread(target=work, name="cdccheck-reader", daemon=True)
    worker.start()
    worker.join(time_limit)
    if worker.is_alive() or not outcome:
        return [ReaderFinding("", f"TimeoutError: the reader took longer than {time_limit:g} s")]
    return outcome[0]


def _worker(connection: Any, reference: str, python_path: tuple[str, ...]) -> None:
    """Worker process: resolve the reader once, then check payloads until told to stop."""
    from cdccheck.refs import derive

    try:
        derived = derive(reference, python_path=python_path)
        reader = derived.reader
        if reader is None:
            raise ValueError(f"{reference} has no real reader")
    except Exception as error:  # reported to the parent
        connection.send(("error", str(error)))
        return
    connection.send(("ready", None))
    while True:
        try:
            payload = connection.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            findings = reader(payload)
        except BaseException as error:  # never let the worker die of it
            findings = findings_from_exception(error)
        connection.send([tuple(finding) for finding in findings])


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Start a spawned worker without re-running the parent's main module in it.

    A spawned child imports the parent's ``__main__`` from its file first: a
    script without an ``if __name__ == "__main__"`` guard would run again (and
    fail), the ``cdccheck`` console script or pytest would be imported for
    nothing. The worker needs neither: its target lives in this module.
    """
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = (getattr(main, "__spec__", None), getattr(main, "__file__", None))
    main.__spec__ = None
    if saved[1] is not None:
        del main.__file__
    try:
        yield
    finally:
        main.__spec__ = saved[0]
        if saved[1] is not None:
            main.__file__ = saved[1]


def _kill(process: Any, connection: Any) -> None:
    if process.is_alive():
        process.kill()
    process.join()
    connection.close()


class GuardedReader:
    """Runs a reader reference in a worker process with a per-event time limit.

    ``check(payload)`` returns the reader's findings; a payload that makes
    the reader exceed ``time_limit`` seconds, or kills the worker (a crash in
    native code, ``os._exit``), gives one finding saying so, and the next
    payload gets a fresh worker. Close it (or use ``with``) to stop the worker;
    one that is garbage collected stops its worker too. It pickles as its
    reference (a copy starts its own worker).
    """

    def __init__(
        self, reference: str, *, python_path: Sequence[str] = (), time_limit: float = 5.0
    ) -> None:
        self.reference = reference
        self.python_path = tuple(str(p) for p in python_path)
        self.time_limit = time_limit
        self._context = multiprocessing.get_context("spawn")
        self._process: Any = None
        self._connection: Any = None
        self._finalizer: Any = None
        self.restarts = 0

    def __getstate__(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "python_path": self.python_path,
            "time_limit": self.time_limit,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["reference"], python_path=state["python_path"], time_limit=state["time_limit"]
        )

    def __enter__(self) -> GuardedReader:
        self._start()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _start(self) -> None:
        from cdccheck.errors import ConfigError

        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=_worker,
            args=(child, self.reference, self.python_path),
            name="cdccheck-reader",
            daemon=True,
        )
        with _main_module_hidden():
            process.start()
        child.close()
        # Importing the consumer's module may be slow; give it its own budget.
        if not parent.poll(max(30.0, self.time_limit)):
            process.kill()
            process.join()
            raise ConfigError(f"reader {self.reference} did not start within 30 s")
        try:
            status, detail = parent.recv()
        except EOFError:
            process.join()
            raise ConfigError(
                f"reader {self.reference} died while starting (exit code {process.exitcode})"
            ) from None
        if status != "ready":
            process.join()
            raise ConfigError(str(detail))
        self._process, self._connection = process, parent
        self._finalizer = weakref.finalize(self, _kill, process, parent)

    def _stop(self) -> None:
        if self._finalizer is not None:
            self._finalizer.detach()
        if self._process is not None:
            _kill(self._process, self._connection)
        self._process = self._connection = self._finalizer = None

    def close(self) -> None:
        """Stop the worker process."""
        self._stop()

    def check(self, payload: bytes) -> list[ReaderFinding]:
        """The reader's findings for one payload (``[]``: accepted)."""
        if self._process is None:
            self._start()
        connection, process = self._connection, self._process
        try:
            connection.send_bytes(payload)
            if connection.poll(self.time_limit):
                return [ReaderFinding(path, message) for path, message in connection.recv()]
            failure = f"TimeoutError: the reader took longer than {self.time_limit:g} s (stopped)"
        except (EOFError, BrokenPipeError, ConnectionResetError):
            process.join(1.0)
            failure = f"ReaderCrashed: the reader's process died (exit code {process.exitcode})"
        self._stop()
        self.restarts += 1
        return [ReaderFinding("", failure)]
