"""DuckDB persistence for Thresher: one `.duckdb` file holds a whole curation project."""

from store.connection import Store, StoreError, StoreLockedError, open_store

__all__ = ["Store", "StoreError", "StoreLockedError", "open_store"]
