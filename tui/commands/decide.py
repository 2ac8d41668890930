"""`thresher decide`, `undo` and `redo`: scripted decisions through the same log as the app."""

from __future__ import annotations

import argparse

from core.models import Action, DecisionSource
from store.decisions import decide, redo, undo
from tui.commands.common import CliError, open_from_args, print_json, subcommand

_ACTIONS = {"accept": Action.ACCEPT, "reject": Action.REJECT, "skip": Action.SKIP, "reset": Action.RESET}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register decide, undo and redo."""
    parser = subcommand(subparsers, "decide", "accept, reject, skip or reset items by id")
    parser.add_argument("ids_and_action", nargs="+", metavar="ID... ACTION", help="item ids then an action")
    parser.add_argument("--reason", help="reject reason")
    parser.add_argument("--actor", default="cli", help="who decided (default: cli)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=run_decide)
    for name, helper, text in (("undo", run_undo, "undo the last action"), ("redo", run_redo, "redo")):
        sub = subcommand(subparsers, name, f"{text} in the decision log (shared with the app)")
        sub.add_argument("--json", action="store_true", help="print the result as JSON")
        sub.set_defaults(handler=helper)


def _parse(words: list[str]) -> tuple[list[int], Action]:
    """Split `ID... ACTION` into ids and an action, with a one-line error on bad input."""
    *raw_ids, verb = words
    if verb not in _ACTIONS:
        raise CliError(f"unknown action '{verb}'; use one of: {', '.join(_ACTIONS)}")
    if not raw_ids:
        raise CliError("give at least one item id before the action")
    try:
        ids = [int(word) for word in raw_ids]
    except ValueError as error:
        raise CliError(f"item ids must be integers: {error}") from None
    return ids, _ACTIONS[verb]


def run_decide(args: argparse.Namespace) -> int:
    """Record one decision group for the given items."""
    ids, action = _parse(args.ids_and_action)
    source = DecisionSource.BULK if len(ids) > 1 else DecisionSource.MANUAL
    with open_from_args(args) as store:
        result = decide(store, ids, action, reason=args.reason, source=source, actor=args.actor)
    if args.json:
        print_json({"group": result.group_id, "action": action.value, "items": list(result.item_ids)})
    else:
        print(f"{result.label} (group {result.group_id})")
    return 0


def _report(args: argparse.Namespace, verb: str, result: object) -> int:
    """Print what an undo or redo did, or that there was nothing to do."""
    if result is None:
        if args.json:
            print_json({verb: None})
        else:
            print(f"nothing to {verb}")
        return 0
    label = getattr(result, "label", "")
    if args.json:
        print_json({verb: label, "items": list(getattr(result, "item_ids", ()))})
    else:
        print(f"{verb}: {label}")
    return 0


def run_undo(args: argparse.Namespace) -> int:
    """Undo the most recent action group still in effect."""
    with open_from_args(args) as store:
        return _report(args, "undo", undo(store, actor="cli"))


def run_redo(args: argparse.Namespace) -> int:
    """Redo the most recently undone group."""
    with open_from_args(args) as store:
        return _report(args, "redo", redo(store, actor="cli"))
