"""Subcommands of the `thresher` CLI, one module each, listed in COMMAND_MODULES."""

COMMAND_MODULES = (
    "tui.commands.demo",
    "tui.commands.importing",
    "tui.commands.stats",
    "tui.commands.items",
    "tui.commands.decide",
    "tui.commands.export",
    "tui.commands.dedup",
    "tui.commands.generate",
    "tui.commands.recipes",
    "tui.commands.filter",
    "tui.commands.calibrate",
    "tui.commands.search",
    "tui.commands.card",
    "tui.commands.report",
)
