"""``sockerless``: the command line (``serve``, ``plugins``, ``context``, plugin commands)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from ..plugins.commands import CommandRegistry
from ..plugins.manager import PluginManager
from . import context, plugins_cmd, serve


def build_parser(manager: PluginManager) -> argparse.ArgumentParser:
    """The full parser: built-in commands plus those plugins contribute."""
    parser = argparse.ArgumentParser(prog="sockerless", description="The Docker Engine API on pluggable backends.")
    parser.add_argument("--version", action="version", version=f"sockerless {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    registry = CommandRegistry()
    registry.command("serve", serve.run, help="run the daemon", configure=lambda p: serve.configure(p, manager))
    registry.command("plugins", lambda args: plugins_cmd.run(args, manager), help="list the installed plugins",
                     configure=plugins_cmd.configure)
    registry.command("context", context.run, help="register a Docker CLI context for this daemon",
                     configure=context.configure)
    registry.command("version", _version, help="print the version")
    manager.hook.sockerless_add_commands(commands=registry)
    registry.install(sub)
    return parser


def _version(args: argparse.Namespace) -> int:
    print(f"sockerless {__version__}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sockerless`` console script."""
    manager = PluginManager()
    manager.load_entry_points()
    parser = build_parser(manager)
    args = parser.parse_args(argv)
    args.plugin_manager = manager
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
