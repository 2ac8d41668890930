"""Versioned schema migrations: each entry upgrades the store by exactly one version."""

from __future__ import annotations

from collections.abc import Callable

import duckdb

Migration = Callable[[duckdb.DuckDBPyConnection], None]

_V1 = """
CREATE TABLE schema_version (
    version INTEGER NOT NULL,
    applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE SEQUENCE batch_id_seq START 1;
CREATE TABLE batches (
    id INTEGER PRIMARY KEY DEFAULT nextval('batch_id_seq'),
    name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,               -- import | generation
    source VARCHAR,                      -- file path or endpoint URL
    format VARCHAR,
    params JSON,
    rows_total BIGINT DEFAULT 0,
    rows_ok BIGINT DEFAULT 0,
    rows_bad BIGINT DEFAULT 0,
    status VARCHAR NOT NULL DEFAULT 'running',  -- running | done | failed | cancelled
    started_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    finished_at TIMESTAMP
);
CREATE SEQUENCE item_id_seq START 1;
CREATE TABLE items (
    id BIGINT PRIMARY KEY,
    ext_id VARCHAR,
    kind VARCHAR NOT NULL,
    origin VARCHAR NOT NULL,
    split VARCHAR NOT NULL,
    batch_id INTEGER,
    instruction VARCHAR NOT NULL,
    input VARCHAR NOT NULL DEFAULT '',
    response VARCHAR NOT NULL,
    conversation JSON,
    content_hash VARCHAR NOT NULL,
    metadata JSON,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    status VARCHAR NOT NULL DEFAULT 'pending',   -- maintained from the decision log
    status_reason VARCHAR,
    status_group BIGINT                  -- the decision group that set the status
);
CREATE SEQUENCE decision_id_seq START 1;
CREATE TABLE decisions (
    id BIGINT PRIMARY KEY DEFAULT nextval('decision_id_seq'),
    group_id BIGINT NOT NULL,
    item_id BIGINT,
    action VARCHAR NOT NULL,             -- accept | reject | skip | edit | reset | undo | redo
    reason VARCHAR,
    prev_status VARCHAR,
    prev_reason VARCHAR,
    new_status VARCHAR,
    field VARCHAR,
    old_text VARCHAR,
    new_text VARCHAR,
    target_group BIGINT,                 -- for undo/redo: the group acted upon
    source VARCHAR NOT NULL DEFAULT 'manual',
    actor VARCHAR NOT NULL DEFAULT 'curator',
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE action_groups (
    group_id BIGINT PRIMARY KEY,
    label VARCHAR NOT NULL,
    size BIGINT NOT NULL,
    source VARCHAR NOT NULL,
    state VARCHAR NOT NULL,              -- done | undone | dead
    undone_seq BIGINT,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE scores (
    item_id BIGINT NOT NULL,
    scorer VARCHAR NOT NULL,
    scorer_version VARCHAR NOT NULL,
    score DOUBLE,
    verdict VARCHAR NOT NULL,            -- pass | flag
    reason VARCHAR,
    span_field VARCHAR,
    span_start INTEGER,
    span_end INTEGER,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (item_id, scorer, scorer_version)
);
CREATE TABLE settings (
    key VARCHAR PRIMARY KEY,
    value JSON NOT NULL
);
CREATE TABLE audits (
    id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    batch_id INTEGER,
    size INTEGER NOT NULL,
    seed BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE audit_items (
    audit_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    item_id BIGINT NOT NULL,
    PRIMARY KEY (audit_id, position)
);
CREATE TABLE recipes (
    name VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    body JSON NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (name, content_hash)
);
CREATE TABLE generation_requests (
    request_key VARCHAR PRIMARY KEY,     -- hash of endpoint, model, prompt, params, sample index
    batch_id INTEGER NOT NULL,
    sample_index INTEGER NOT NULL,
    endpoint VARCHAR,
    model VARCHAR,
    prompt JSON,
    params JSON,
    status VARCHAR NOT NULL,             -- ok | failed
    response_raw VARCHAR,
    error VARCHAR,
    attempts INTEGER DEFAULT 0,
    prompt_tokens BIGINT,
    completion_tokens BIGINT,
    cost_usd DOUBLE,
    latency_ms DOUBLE,
    finish_reason VARCHAR,
    item_id BIGINT,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE clusters (
    run_id INTEGER NOT NULL,
    cluster_id INTEGER NOT NULL,
    item_id BIGINT NOT NULL,
    is_keeper BOOLEAN NOT NULL DEFAULT false,
    similarity DOUBLE,
    PRIMARY KEY (run_id, item_id)
);
CREATE TABLE cluster_runs (
    id INTEGER PRIMARY KEY,
    method VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    threshold DOUBLE,
    params JSON,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE embeddings (
    item_id BIGINT NOT NULL,
    model VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    vector FLOAT[] NOT NULL,
    PRIMARY KEY (item_id, model, field)
);
CREATE TABLE saved_searches (
    name VARCHAR PRIMARY KEY,
    query JSON NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
"""


def _migrate_to_v1(con: duckdb.DuckDBPyConnection) -> None:
    """Create the first version of every table."""
    con.execute(_V1)


_DEDUP_CACHE = """
ALTER TABLE embeddings ADD COLUMN text_hash UBIGINT;
CREATE TABLE dedup_pair_sets (
    key VARCHAR PRIMARY KEY,             -- method, field and every parameter except the threshold
    method VARCHAR NOT NULL,
    field VARCHAR NOT NULL,
    floor DOUBLE NOT NULL,               -- pairs at or above this similarity are all stored
    fingerprint VARCHAR NOT NULL,        -- of the compared texts; a change means recompute
    params JSON,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE dedup_pairs (
    key VARCHAR NOT NULL,
    a BIGINT NOT NULL,
    b BIGINT NOT NULL,
    similarity FLOAT NOT NULL
);
"""


def _migrate_dedup_cache(con: duckdb.DuckDBPyConnection) -> None:
    """Cache verified dedup pairs for threshold re-cuts and key embeddings by their text's hash."""
    con.execute(_DEDUP_CACHE)


MIGRATIONS: list[Migration] = [_migrate_to_v1, _migrate_dedup_cache]
"""MIGRATIONS[n] upgrades a store at version n to version n + 1."""

LATEST_VERSION = len(MIGRATIONS)
