"""The catcher's Maildir folder: the message files, and nothing about their index.

Rules:

* The folder and its ``cur/``, ``new/`` and ``tmp/`` are private (0700):
  caught mail is nobody else's business, and a file is never readable by
  others, not even before its chmod.  Files are made 0600.
* A message is written the Maildir way (:meth:`MaildirFolder.deliver`):
  into ``tmp/``, then renamed into ``new/``; its key is unique within the
  folder (seconds, microseconds, process, a delivery number, the host).
* Only regular files in ``new/`` and ``cur/`` are mail: a symbolic link, a
  directory or anything else there is skipped with a warning, and files are
  opened without following links (:func:`read_regular`).
* A mail reader may move a file from ``new/`` to ``cur/`` (adding flags
  after ``:2,``): a file is found again by its key.

>>> import tempfile
>>> folder = MaildirFolder(tempfile.mkdtemp())
>>> key = folder.deliver(b"Subject: hi\\n", b"\\nbody\\n")
>>> folder.files() == {key: "new/" + key}
True
>>> folder.read("new/" + key, key, 13)
b'body\\n'
>>> folder.remove("new/" + key); folder.files()
{}
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import socket
import time
from pathlib import Path
from collections.abc import Sequence

from .received import escape_controls

__all__ = ["MaildirFolder", "delivery_order", "make_private", "read_regular"]

log = logging.getLogger(__name__)


class MaildirFolder:
    """The message files of one Maildir folder, made if missing."""

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory)
        self._folder = os.fspath(self.directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        for subdirectory in ("cur", "new", "tmp"):
            folder = self.directory / subdirectory
            folder.mkdir(mode=0o700, exist_ok=True)
            folder.chmod(0o700)
        self._deliveries = itertools.count(1)  # next() is atomic: files are written from several threads
        # As mailbox.Maildir names files: no "/" or ":" in the host name.
        self._hostname = socket.gethostname().replace("/", "\\057").replace(":", "\\072")

    def deliver(self, *pieces: bytes, fsync: bool = False) -> str:
        """Write a file of ``pieces`` into ``tmp/``, rename it into ``new/``;
        return its key.  With ``fsync`` its bytes reach the disk before the
        rename (its name in ``new/`` does with :meth:`sync_new`).

        Not ``mailbox.Maildir.add``: that one fsyncs every message, which
        caps intake near 100 messages per second for a durability a catcher
        does not need.  The pieces go out in one ``writev`` (no joined copy
        of a big message), by plain path strings (``pathlib`` costs more
        than the write of 1 KiB)."""
        now = time.time()
        key = f"{int(now)}.M{int(now % 1 * 1e6)}P{os.getpid()}Q{next(self._deliveries)}.{self._hostname}"
        temporary = os.path.join(self._folder, "tmp", key)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            _write_all(descriptor, pieces)
            if fsync:
                os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.rename(temporary, os.path.join(self._folder, "new", key))
        return key

    def sync_new(self) -> None:
        """fsync ``new/``: the names of the files renamed into it reach the disk."""
        descriptor = os.open(self.directory / "new", os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def read(self, path: str, key: str, start: int = 0, length: int = -1) -> bytes:
        """``length`` bytes (-1: all) from ``start`` of the file at ``path``
        (``new/...`` or ``cur/...``), looked for by ``key`` if it moved;
        ``FileNotFoundError`` if it is gone."""
        try:
            return read_regular(self.directory / path, start, length)
        except FileNotFoundError:
            # A mail reader may have moved it from new/ to cur/ (adding flags).
            moved = self.files().get(key)
            if moved is None:
                raise
            return read_regular(self.directory / moved, start, length)

    def files(self) -> dict[str, str]:
        """``{key: "new/<name>" or "cur/<name>"}`` for the regular files of the
        Maildir.  Anything else found there (a symbolic link, a directory, a
        device) is skipped with a warning: it is not mail we delivered, and
        following a link would serve whatever file it names."""
        found: dict[str, str] = {}
        for subdirectory in ("new", "cur"):
            with os.scandir(self.directory / subdirectory) as entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    if entry.is_symlink() or not entry.is_file(follow_symlinks=False):
                        log.warning("skipping %s in %s: not a regular file",
                                    escape_controls(entry.name), self.directory / subdirectory)
                        continue
                    found[entry.name.split(":", 1)[0]] = f"{subdirectory}/{entry.name}"
        return found

    def stat(self, path: str) -> os.stat_result:
        """The file at ``path``'s status (a link's own, not followed)."""
        return os.lstat(self.directory / path)

    def remove(self, path: str) -> None:
        """Delete the file at ``path``; one already gone is no error."""
        try:
            os.unlink(self.directory / path)
        except FileNotFoundError:
            pass


# The keys MaildirFolder.deliver makes: seconds, microseconds, process, delivery number.
_KEY = re.compile(r"(\d+)\.M(\d+)P\d+Q(\d+)\.")


def delivery_order(key: str) -> tuple[int, int, int]:
    """Where a key of ours falls in arrival order (another's: first).

    >>> delivery_order("1700000000.M5P7Q12.host") < delivery_order("1700000000.M5P7Q13.host")
    True
    >>> delivery_order("copied-in")
    (0, 0, 0)
    """
    found = _KEY.match(key)
    return (int(found.group(1)), int(found.group(2)), int(found.group(3))) if found else (0, 0, 0)


def _write_all(descriptor: int, pieces: Sequence[bytes]) -> None:
    """Write every byte of ``pieces`` (``writev`` may write fewer)."""
    remaining = [memoryview(piece) for piece in pieces if piece]
    while remaining:
        written = os.writev(descriptor, remaining)
        if not written:  # a full disk raises; nothing written at all must not loop
            raise OSError(f"writev wrote nothing of {sum(map(len, remaining))} bytes")
        while remaining and written >= len(remaining[0]):
            written -= len(remaining[0])
            remaining.pop(0)
        if remaining:
            remaining[0] = remaining[0][written:]


def make_private(path: Path, *, create: bool = True) -> None:
    """``path`` readable by its owner only (0600), made so if it is missing
    and ``create``; an existing file keeps its content.  A symbolic link is
    refused (``OSError``): the file is written, and must be ours."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | (os.O_CREAT if create else 0)
    try:
        descriptor = os.open(path, flags, 0o600)
    except FileNotFoundError:
        return
    try:
        os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)


def read_regular(path: Path, start: int = 0, length: int = -1) -> bytes:
    """``length`` bytes (-1: all) from ``start`` of the regular file ``path``,
    never through a symbolic link (``OSError`` for a link,
    ``FileNotFoundError`` if it is gone)."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with open(descriptor, "rb") as file:
        file.seek(start)
        return file.read(length)
