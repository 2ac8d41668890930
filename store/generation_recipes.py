"""Stored generation inputs: recipe versions by content hash, and the price table."""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb

from core.generation.builtin_recipes import builtin_recipes
from core.generation.pricing import PriceTable, parse_price_entries
from core.recipes import Recipe, recipe_from_dict
from store.connection import Store
from store.settings import get_setting, put_setting

PRICES_KEY = "generation.prices"


@dataclass(frozen=True, slots=True)
class RecipeInfo:
    """A stored recipe version for listings."""

    name: str
    content_hash: str
    description: str
    versions: int
    created_at: str


def save_recipe(cur: duckdb.DuckDBPyConnection, recipe: Recipe) -> bool:
    """Store a recipe version under its content hash; False when that exact version was there."""
    rows = cur.execute("SELECT count(*) FROM recipes WHERE name = ? AND content_hash = ?",
                       [recipe.name, recipe.content_hash]).fetchall()
    if rows[0][0]:
        return False
    cur.execute("INSERT INTO recipes (name, content_hash, body) VALUES (?, ?, ?::JSON)",
                [recipe.name, recipe.content_hash, json.dumps(recipe.body(), ensure_ascii=False)])
    return True


def ensure_builtin_recipes(store: Store) -> None:
    """Add the built-in recipes to a store that lacks any of their names."""
    present = {r[0] for r in store.cursor().execute("SELECT DISTINCT name FROM recipes").fetchall()}
    missing = [r for r in builtin_recipes() if r.name not in present]
    if missing and not store.read_only:
        with store.transaction() as cur:
            for recipe in missing:
                save_recipe(cur, recipe)


def get_recipe(cur: duckdb.DuckDBPyConnection, name: str, content_hash: str | None = None) -> Recipe | None:
    """Return a recipe by name (the newest version) or by name and hash."""
    sql = "SELECT body FROM recipes WHERE name = ?" + (" AND content_hash = ?" if content_hash else "")
    params = [name, content_hash] if content_hash else [name]
    rows = cur.execute(sql + " ORDER BY created_at DESC, rowid DESC LIMIT 1", params).fetchall()
    return recipe_from_dict(json.loads(rows[0][0])) if rows else None


def list_recipes(cur: duckdb.DuckDBPyConnection) -> list[RecipeInfo]:
    """Return the newest version of each recipe with its version count, by name."""
    rows = cur.execute(
        "SELECT name, arg_max(content_hash, (created_at, rowid)), "
        "arg_max(body, (created_at, rowid))->>'description', count(*), "
        "strftime(max(created_at), '%Y-%m-%d %H:%M:%S') FROM recipes GROUP BY name ORDER BY name"
    ).fetchall()
    return [RecipeInfo(r[0], r[1], r[2] or "", int(r[3]), r[4]) for r in rows]


def load_prices(cur: duckdb.DuckDBPyConnection) -> PriceTable:
    """Return the default price table overlaid with the store's own entries."""
    return PriceTable(parse_price_entries(get_setting(cur, PRICES_KEY, {})))


def set_prices(store: Store, entries: dict[str, tuple[float, float] | None]) -> PriceTable:
    """Add or change price entries (None removes one) and return the new table."""
    with store.transaction() as cur:
        current = parse_price_entries(get_setting(cur, PRICES_KEY, {}))
        for pattern, pair in entries.items():
            if pair is None:
                current.pop(pattern, None)
            else:
                current[pattern] = pair
        put_setting(cur, PRICES_KEY, {k: list(v) for k, v in current.items()})
    return PriceTable(current)
