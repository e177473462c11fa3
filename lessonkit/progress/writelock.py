"""A queue for SQLite's writers: an advisory file lock taken around each write transaction.

SQLite lets one writer at a time hold a database's write lock, and a writer that finds it
taken does not wait in a queue: its busy handler sleeps and tries again, sleeping longer
each time (1, 2, 5, 10 ... 100 ms).  Twenty kernels appending at once therefore spend most
of their time asleep while the lock is free, and an unlucky append waits for hundreds of
milliseconds behind writers that came later.  An ``flock`` on a file beside the database
turns that into a queue the operating system keeps: a waiting writer sleeps in the kernel
and wakes the moment the holder's transaction ends, so the lock is never idle while
someone wants it.

The lock only orders lessonkit's own writers.  It is advisory: a writer that does not take
it (another tool, an older lessonkit) still meets SQLite's own locking, which stays the
guarantee of consistency; this module only decides who goes next.  Where the lock file
cannot be opened (a read-only folder, a file of another user's that this one may not read),
writes go ahead without it, as they did before.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

#: Beside ``progress.sqlite`` as ``progress.sqlite-writer.lock``, next to SQLite's own ``-wal`` and ``-shm``.
SUFFIX = "-writer.lock"


class WriterQueue:
    """Writers of one SQLite file take turns through :meth:`turn`.

    A fresh descriptor per turn: ``flock`` belongs to an open file description, so threads
    of one process sharing one descriptor would all "hold" the lock at once, and a
    descriptor inherited across ``fork`` would be shared with the child.
    """

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + SUFFIX)
        self._usable = True

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the queue's lock for the duration of one write transaction."""
        fd = self._open()
        if fd is None:
            yield
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released by close, also if the process dies
            yield
        finally:
            os.close(fd)

    def _open(self) -> int | None:
        if not self._usable:
            return None
        try:
            # Read-only is enough for flock, so writers running as different users can
            # share a lock file that only its creator may write.
            return os.open(self.path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as error:
            self._usable = False
            log.info("SQLite writers of %s take turns by SQLite's busy handler alone: cannot open %s (%s)",
                     self.path.with_name(self.path.name.removesuffix(SUFFIX)), self.path, error.strerror)
            return None
