"""The sandbox's SQLite file: schema, one connection, one lock.

One connection shared by every request thread, serialised by a re-entrant lock: SQLite allows one writer
anyway, and a single connection means a request always sees the writes of the request before it.
Properties are stored as JSON text; `(type, id)` and `(type, updated_ms)` are indexed so paging and
last-modified searches over 100k records stay fast.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
create table if not exists objects (
    type text not null,
    id integer not null,
    properties text not null,
    created_ms integer not null,
    updated_ms integer not null,
    archived integer not null default 0,
    archived_ms integer,
    primary key (type, id)
);
create table if not exists history (
    seq integer primary key autoincrement,
    type text not null,
    id integer not null,
    property text not null,
    value text,
    ts_ms integer not null,
    source_type text not null,
    source_id text,
    updated_by_user_id integer
);
create table if not exists associations (
    from_type text not null,
    from_id integer not null,
    to_type text not null,
    to_id integer not null,
    label text not null,
    primary key (from_type, from_id, to_type, to_id, label)
);
create table if not exists owners (
    id integer primary key,
    body text not null,
    archived integer not null default 0
);
create table if not exists properties (
    type text not null,
    name text not null,
    body text not null,
    primary key (type, name)
);
create table if not exists meta (key text primary key, value text not null);
"""


# Secondary indexes: dropped during the first bulk load and built once afterwards (much faster than
# maintaining them row by row).
INDEXES = {
    "objects_by_updated": (
        "create index if not exists objects_by_updated on objects (type, archived, updated_ms, id)"
    ),
    "objects_by_email": (
        "create index if not exists objects_by_email"
        " on objects (type, lower(json_extract(properties, '$.email')))"
    ),
    "history_by_object": "create index if not exists history_by_object on history (type, id, property)",
}


class Store:
    """Thread-safe access to the sandbox database; use `reading()` or `writing()` around every query."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("pragma journal_mode=wal")
        self._conn.execute("pragma synchronous=normal")
        self._conn.executescript(SCHEMA)
        for statement in INDEXES.values():
            self._conn.execute(statement)

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._conn

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self._lock:
            self._conn.execute("begin immediate")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("rollback")
                raise
            self._conn.execute("commit")

    def meta(self, key: str) -> str | None:
        with self.reading() as conn:
            row = conn.execute("select value from meta where key = ?", (key,)).fetchone()
        return row[0] if row else None

    def next_id(self, conn: sqlite3.Connection) -> int:
        """A new object id, unique across all object types like HubSpot's (call inside `writing()`)."""
        row = conn.execute("select value from meta where key = 'next_id'").fetchone()
        if row is None:
            top = conn.execute("select coalesce(max(id), 0) from objects").fetchone()[0]
            value = max(int(top) + 1, 1001)
        else:
            value = int(row[0])
        conn.execute("insert or replace into meta (key, value) values ('next_id', ?)", (str(value + 1),))
        return value

    def close(self) -> None:
        with self._lock:
            self._conn.close()
