"""Reading SQLite's files the way an attacker with a copy of them would, without SQLite's help
for the parts that matter: the write-ahead log frame by frame, and where rows sit in a page.

Write-ahead log (https://www.sqlite.org/fileformat2.html#walformat): a 32-byte header (magic,
format version, page size, checkpoint sequence, salt-1, salt-2, two checksums), then frames of
a 24-byte header (page number, "database size after commit" — non-zero only on the last frame
of a transaction — salt-1, salt-2, two checksums) and one page image. Frames whose salts match
the header's belong to the current log; others are left over from before it last restarted.

B-tree pages (https://www.sqlite.org/fileformat2.html#b_tree_pages): an 8- or 12-byte header,
an array of 2-byte cell offsets in key order, and the cells themselves, which SQLite places from
the end of the page downwards as they arrive, so a cell's offset says when it was written
relative to its neighbours unless the page was rebuilt since.
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

WAL_HEADER = 32
FRAME_HEADER = 24
WAL_MAGIC = (0x377F0682, 0x377F0683)
FREE = "(free page)"


@dataclass(frozen=True)
class Frame:
    page: int
    commit_size: int  # database size in pages after this commit; 0 if not a commit frame
    salts: tuple[int, int]
    image: bytes


@dataclass(frozen=True)
class Wal:
    page_size: int
    salts: tuple[int, int]
    frames: tuple[Frame, ...]

    def transactions(self) -> list[list[Frame]]:
        """The current log's committed transactions, in the order they were written."""
        done: list[list[Frame]] = []
        pending: list[Frame] = []
        for frame in self.frames:
            if frame.salts != self.salts:
                break  # the rest is left over from before the log restarted
            pending.append(frame)
            if frame.commit_size:
                done.append(pending)
                pending = []
        return done

    def commit_frames(self) -> int:
        """Commit frames anywhere in the file, current or left over."""
        return sum(1 for frame in self.frames if frame.commit_size)


def read_wal(data: bytes) -> Wal:
    if len(data) < WAL_HEADER:
        return Wal(0, (0, 0), ())
    magic, _version, page_size, _sequence, salt1, salt2, _c1, _c2 = struct.unpack(
        ">8I", data[:WAL_HEADER]
    )
    assert magic in WAL_MAGIC, hex(magic)
    frames = []
    offset = WAL_HEADER
    while offset + FRAME_HEADER + page_size <= len(data):
        page, commit_size, s1, s2, _k1, _k2 = struct.unpack(
            ">6I", data[offset : offset + FRAME_HEADER]
        )
        image = data[offset + FRAME_HEADER : offset + FRAME_HEADER + page_size]
        frames.append(Frame(page, commit_size, (s1, s2), image))
        offset += FRAME_HEADER + page_size
    return Wal(page_size, (salt1, salt2), tuple(frames))


def replay(main: bytes, wal: Wal, scratch: Path) -> Iterator[sqlite3.Connection]:
    """The database as it stood after each committed transaction of the log: the page images
    applied, commit by commit, to a copy of the main file. Yields a read-only connection to
    each state in turn (closed when the next one is made)."""
    image = bytearray(main)
    for number, transaction in enumerate(wal.transactions()):
        for frame in transaction:
            start = (frame.page - 1) * wal.page_size
            if len(image) < start + wal.page_size:
                image.extend(bytes(start + wal.page_size - len(image)))
            image[start : start + wal.page_size] = frame.image
        del image[transaction[-1].commit_size * wal.page_size :]
        with open_image(bytes(image), scratch / f"state-{number:04d}.db") as connection:
            yield connection


@contextmanager
def open_image(image: bytes, path: Path) -> Iterator[sqlite3.Connection]:
    """Open a database image read-only, as an ordinary (rollback-journal) file."""
    data = bytearray(image)
    data[18:20] = b"\x01\x01"  # file format read/write versions: legacy, so no WAL is needed
    path.write_bytes(bytes(data))
    connection = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        yield connection
    finally:
        connection.close()


@contextmanager
def pinned_log(database: Path) -> Iterator[None]:
    """Hold a read transaction open, as a long report or a backup tool would: no checkpoint can
    copy the log into the database file meanwhile, so every commit stays in the log."""
    connection = sqlite3.connect(database, isolation_level=None)
    try:
        connection.execute("BEGIN")
        connection.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        yield
        connection.execute("COMMIT")
    finally:
        connection.close()


def pages_by_table(image: bytes, scratch: Path) -> dict[int, str]:
    """Which table each b-tree page of a database image belongs to (its indexes included), or
    FREE for pages on the free-page list."""
    with open_image(image, scratch) as connection:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        roots = connection.execute(
            "SELECT tbl_name, rootpage FROM sqlite_schema WHERE rootpage > 0"
        ).fetchall()
    owner: dict[int, str] = {}
    for table, root in roots:
        todo = [root]
        while todo:
            number = todo.pop()
            owner[number] = table
            page = image[(number - 1) * page_size : number * page_size]
            base = 100 if number == 1 else 0
            if page[base] not in (0x02, 0x05):  # leaf pages have no children
                continue
            count = struct.unpack(">H", page[base + 3 : base + 5])[0]
            todo.append(struct.unpack(">I", page[base + 8 : base + 12])[0])
            for index in range(count):
                pointer = base + 12 + 2 * index
                offset = struct.unpack(">H", page[pointer : pointer + 2])[0]
                todo.append(struct.unpack(">I", page[offset : offset + 4])[0])
    trunk = struct.unpack(">I", image[32:36])[0]  # the free-page list: pages holding no rows
    while trunk:
        page = image[(trunk - 1) * page_size : trunk * page_size]
        owner[trunk] = FREE
        following, count = struct.unpack(">II", page[:8])
        for index in range(count):
            owner[struct.unpack(">I", page[8 + 4 * index : 12 + 4 * index])[0]] = FREE
        trunk = following
    return owner


# --- Where cells sit in their pages -----------------------------------------------------------


def _varint(data: bytes, offset: int) -> tuple[int, int]:
    value = 0
    for index in range(9):
        byte = data[offset + index]
        if index == 8:
            return (value << 8) | byte, offset + 9
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, offset + index + 1
    raise AssertionError("unreachable")


def _first_text_column(data: bytes, offset: int) -> str:
    """The first column of the record stored in an index-b-tree cell at ``offset``."""
    _payload, offset = _varint(data, offset)
    header_size, after = _varint(data, offset)
    serial, _ = _varint(data, after)
    assert serial >= 13 and serial % 2 == 1, serial  # text
    length = (serial - 13) // 2
    body = offset + header_size
    return data[body : body + length].decode("ascii")


def cells_by_position(file: bytes, page_size: int, root: int) -> list[list[tuple[int, str]]]:
    """For each page of a WITHOUT ROWID table (an index b-tree) from ``root``: its cells as
    (offset in the page, first column), from the highest offset down — the order SQLite
    wrote them in, unless the page was rebuilt since."""
    pages: list[list[tuple[int, str]]] = []
    todo = [root]
    while todo:
        number = todo.pop()
        page = file[(number - 1) * page_size : number * page_size]
        base = 100 if number == 1 else 0
        kind = page[base]
        assert kind in (0x02, 0x0A), f"page {number} is not an index b-tree page ({kind})"
        count = struct.unpack(">H", page[base + 3 : base + 5])[0]
        header = 12 if kind == 0x02 else 8
        if kind == 0x02:
            todo.append(struct.unpack(">I", page[base + 8 : base + 12])[0])
        cells = []
        for index in range(count):
            pointer = base + header + 2 * index
            offset = struct.unpack(">H", page[pointer : pointer + 2])[0]
            start = offset
            if kind == 0x02:
                todo.append(struct.unpack(">I", page[offset : offset + 4])[0])
                start += 4
            cells.append((offset, _first_text_column(page, start)))
        pages.append(sorted(cells, reverse=True))
    return pages
