"""A student's events as a JSON-lines file beside their notebook.

In JupyterLab the student's kernel may have no database to reach, and what the grader
collects is the student's folder: a log file there travels with the nbgrader submission
and :func:`~lessonkit.progress.store.import_jsonl` loads it into the class store later.
It is also readable in any editor, one event per line.

Every append is one ``write()`` of whole lines to a file opened with ``O_APPEND``,
followed by ``fsync``: once ``append`` returns, the event is on disk.  A crash during the
write can leave at most a torn last line, never acknowledged; readers skip it and say
so, and the next append cuts it off before writing.  ``seq`` is an event's line number
(counting events only), so it is stable for as long as the file is.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from lessonkit.progress.events import Event
from lessonkit.progress.store import ClosingStore, CorruptLogError, EventConflictError

LOG_SUFFIX = ".progress.jsonl"
"""A student's log beside their notebook is ``<lesson-id>.progress.jsonl``: the player writes
it, grade cells read it, and the grader loads every such file of a submission."""


def log_path(folder: str | os.PathLike[str], lesson_id: str) -> Path:
    """Where a lesson's log lives in a student's folder."""
    return Path(folder) / f"{lesson_id}{LOG_SUFFIX}"


try:  # Several kernels of one notebook may write the same log; Windows has no fcntl.
    import fcntl
except ImportError:  # pragma: no cover - only on Windows, where one writer per log is assumed
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TornLine:
    """The unreadable tail of a log: a write that was cut short, so never acknowledged."""

    line: int
    offset: int
    reason: str
    text: str

    def __str__(self) -> str:
        return f"line {self.line} at byte {self.offset}: {self.reason}: {self.text!r}"


@dataclass(frozen=True)
class LogContents:
    """What a log holds: its events (``seq`` = position) and the torn tail, if any."""

    events: list[Event]
    torn: TornLine | None
    good_size: int  # bytes up to the end of the last complete line


class JsonlLog(ClosingStore):
    """An :class:`~lessonkit.progress.store.EventStore` in an append-only JSON-lines file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self._fd: int | None = None
        self._size = -1  # the file's size when this writer last looked; -1: look again
        self._count = 0
        self._stored: dict[str, Event] = {}

    def __repr__(self) -> str:
        return f"JsonlLog({str(self.path)!r})"

    def read(self) -> LogContents:
        """Everything in the log; a torn last line is skipped and reported in ``torn``."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return LogContents([], None, 0)
        return scan(data, self.path)

    def append(self, event: Event) -> Event:
        return self.append_many([event])[0]

    def append_many(self, events: Iterable[Event]) -> list[Event]:
        batch = [replace(event, seq=None) for event in events]
        if not batch:
            return []
        lines = [event.to_json() for event in batch]  # a bad event fails before anything is written
        fd = self._open()
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            self._catch_up(fd)
            new: dict[str, Event] = {}
            payload: list[str] = []
            out: list[Event] = []
            for event, line in zip(batch, lines, strict=True):
                stored = new.get(event.uid) or self._stored.get(event.uid)
                if stored is None:
                    stored = new[event.uid] = event.with_seq(self._count + len(new) + 1)
                    payload.append(line + "\n")
                elif not stored.same_record(event):
                    raise EventConflictError(
                        f"{self.path}: event {event.uid} is already logged (line {stored.seq}) with different content"
                    )
                out.append(stored)
            if payload:
                data = "".join(payload).encode("utf-8")
                self._size = -1  # until the write is known complete
                _write_all(fd, data)
                os.fsync(fd)
                self._size = os.fstat(fd).st_size
                self._count += len(new)
                self._stored.update(new)
            return out
        finally:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def history(self, lesson_id: str, student_id: str) -> list[Event]:
        return [e for e in self._events() if e.lesson_id == lesson_id and e.student_id == student_id]

    def lesson_events(self, lesson_id: str) -> Iterator[Event]:
        return (e for e in self._events() if e.lesson_id == lesson_id)

    def students(self, lesson_id: str) -> list[str]:
        return sorted({e.student_id for e in self._events() if e.lesson_id == lesson_id})

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            self._size = -1

    def _events(self) -> list[Event]:
        contents = self.read()
        if contents.torn is not None:
            log.warning("%s: skipped a torn last line (%s)", self.path, contents.torn)
        return contents.events

    def _open(self) -> int:
        if self._fd is None:
            created = not self.path.exists()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            if created:
                _fsync_directory(self.path.parent)  # the new file's name must survive a crash too
        return self._fd

    def _catch_up(self, fd: int) -> None:
        """Re-read the log if it changed since this writer last wrote (another kernel, a crash)."""
        size = os.fstat(fd).st_size
        if size == self._size:
            return
        contents = scan(_read_all(fd, size), self.path)
        if contents.torn is not None:
            os.ftruncate(fd, contents.good_size)
            os.fsync(fd)
            log.warning("%s: cut off a torn last line, never acknowledged (%s)", self.path, contents.torn)
        self._size = contents.good_size if contents.torn is not None else size
        self._count = len(contents.events)
        self._stored = {event.uid: event for event in contents.events}


def scan(data: bytes, path: str | os.PathLike[str] = "<log>") -> LogContents:
    """Parse a log's bytes.  Only the last line may be unreadable; anywhere else is corruption.

    A last line without its newline is torn even if it parses: the writer ends every
    line with a newline in the same write, so a missing one means the write was cut.
    """
    events: list[Event] = []
    offset = good_size = 0
    lines = data.split(b"\n")
    last = len(lines) - 1  # the part after the final newline ("" when the file ends cleanly)
    for number, raw in enumerate(lines, start=1):
        start, offset = offset, offset + len(raw) + 1
        if number - 1 == last:
            if raw.strip():
                torn = _torn(number, start, "no newline at the end (an interrupted write)", raw)
                return LogContents(events, torn, good_size)
            break
        if not raw.strip():
            good_size = offset
            continue
        try:
            event = Event.from_json(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            if not any(rest.strip() for rest in lines[number:]):
                return LogContents(events, _torn(number, start, str(error), raw), good_size)
            raise CorruptLogError(
                f"{path}, line {number}: {error}; only a torn last line can be skipped, "
                "so this log was edited or damaged"
            ) from None
        events.append(event.with_seq(len(events) + 1))
        good_size = offset
    return LogContents(events, None, good_size)


def _torn(number: int, offset: int, reason: str, raw: bytes) -> TornLine:
    return TornLine(number, offset, reason, raw[:80].decode("utf-8", errors="replace"))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_all(fd: int, size: int) -> bytes:
    chunks, offset = [], 0
    while offset < size:
        chunk = os.pread(fd, size - offset, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some platforms cannot open a directory; the file itself is still synced
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
