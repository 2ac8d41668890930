"""Opening a store file: locking, migrations, and a cursor per call."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from store.schema import LATEST_VERSION, MIGRATIONS

DEFAULT_STORE_NAME = "thresher.duckdb"


class StoreError(Exception):
    """A store problem worth a one-line message to the user."""


class StoreLockedError(StoreError):
    """The store file is held by another process."""


def default_store_path() -> Path:
    """Return `$THRESHER_STORE` or `./thresher.duckdb`."""
    return Path(os.environ.get("THRESHER_STORE") or DEFAULT_STORE_NAME)


def _lock_message(path: Path, error: Exception) -> str:
    """Turn DuckDB's lock error into one line naming the file and the holder."""
    holder = re.search(r"PID (\d+)", str(error))
    who = f" by process {holder.group(1)}" if holder else " by another process"
    return f"store {path} is in use{who}; close the other Thresher first"


class Store:
    """One open `.duckdb` store: a single connection, a cursor per call, serialised writes."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection, read_only: bool) -> None:
        """Wrap an already opened and migrated connection."""
        self.path = path
        self.read_only = read_only
        self._con = con
        self._write_lock = threading.RLock()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """Return a fresh cursor; use one per call and per thread."""
        return self._con.cursor()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Run a block of writes atomically: committed on success, rolled back on error."""
        if self.read_only:
            raise StoreError(f"store {self.path} is open read-only")
        with self._write_lock:
            cur = self._con.cursor()
            cur.execute("BEGIN TRANSACTION")
            try:
                yield cur
            except BaseException:
                cur.execute("ROLLBACK")
                cur.close()
                raise
            cur.execute("COMMIT")
            cur.close()

    def schema_version(self) -> int:
        """Return the version recorded in the store."""
        return _read_version(self.cursor())

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the main file."""
        with self._write_lock:
            self._con.execute("CHECKPOINT")

    def close(self) -> None:
        """Close the connection; the store is durable before and after."""
        self._con.close()

    def __enter__(self) -> Store:
        """Use the store as a context manager that closes it on exit."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close on leaving the block."""
        self.close()


def _read_version(con: duckdb.DuckDBPyConnection) -> int:
    """Return the schema version of an open store, 0 for an empty file."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()
    if not exists or not exists[0]:
        return 0
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def migrate(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Bring a store up to the latest schema, refusing files from a newer Thresher."""
    version = _read_version(con)
    if version > LATEST_VERSION:
        raise StoreError(
            f"store {path} has schema version {version}, newer than this Thresher "
            f"understands ({LATEST_VERSION}); upgrade Thresher to open it"
        )
    for target in range(version, LATEST_VERSION):
        con.execute("BEGIN TRANSACTION")
        try:
            MIGRATIONS[target](con)
            con.execute("INSERT INTO schema_version (version) VALUES (?)", [target + 1])
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    return LATEST_VERSION


def open_store(path: Path | str | None = None, *, read_only: bool = False) -> Store:
    """Open (creating and migrating if needed) the store at `path`."""
    store_path = Path(path) if path is not None else default_store_path()
    if read_only and not store_path.exists():
        raise StoreError(f"store {store_path} does not exist")
    if store_path.exists() and store_path.is_dir():
        raise StoreError(f"store {store_path} is a directory, not a .duckdb file")
    try:
        con = duckdb.connect(str(store_path), read_only=read_only)
    except duckdb.IOException as error:
        text = str(error)
        if "lock" in text.lower():
            raise StoreLockedError(_lock_message(store_path, error)) from None
        raise StoreError(f"cannot open store {store_path}: {text.splitlines()[0]}") from None
    except duckdb.Error as error:
        raise StoreError(f"cannot open store {store_path}: {str(error).splitlines()[0]}") from None
    try:
        if not read_only:
            migrate(con, store_path)
        elif _read_version(con) != LATEST_VERSION:
            raise StoreError(f"store {store_path} needs migrating; open it once for writing")
    except BaseException:
        con.close()
        raise
    store = Store(store_path, con, read_only)
    if not read_only:
        from store.journal import replay_pending  # the journal needs a Store, so it is imported late

        replay_pending(store)
    return store
