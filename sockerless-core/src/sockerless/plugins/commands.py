"""CLI commands contributed by plugins (``sockerless sim aws``, ``sockerless hub NAME``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field

Configure = Callable[[argparse.ArgumentParser], None]
Run = Callable[[argparse.Namespace], int | None]


@dataclass
class Command:
    """One leaf command: how to set up its arguments and what to run."""

    name: str
    help: str
    configure: Configure | None
    run: Run


@dataclass
class CommandRegistry:
    """A level of the command tree; plugins add commands and groups to it."""

    name: str = ""
    help: str = ""
    commands: dict[str, Command] = field(default_factory=dict)
    groups: dict[str, CommandRegistry] = field(default_factory=dict)

    def command(self, name: str, run: Run, *, help: str = "", configure: Configure | None = None) -> None:
        """Add a command; a second plugin using the same name is an error."""
        if name in self.commands or name in self.groups:
            raise ValueError(f"command {self._path(name)!r} is registered twice")
        self.commands[name] = Command(name, help, configure, run)

    def group(self, name: str, help: str = "") -> CommandRegistry:
        """The sub-level ``name`` (created on first use, shared between plugins)."""
        if name in self.commands:
            raise ValueError(f"command {self._path(name)!r} is both a command and a group")
        if name not in self.groups:
            self.groups[name] = CommandRegistry(name=self._path(name), help=help)
        elif help and not self.groups[name].help:
            self.groups[name].help = help
        return self.groups[name]

    def _path(self, name: str) -> str:
        return f"{self.name} {name}".strip()

    def install(self, subparsers: argparse._SubParsersAction) -> None:
        """Add this level's commands and groups to an argparse subparsers object."""
        for name, cmd in sorted(self.commands.items()):
            parser = subparsers.add_parser(name, help=cmd.help, description=cmd.help)
            if cmd.configure is not None:
                cmd.configure(parser)
            parser.set_defaults(_run=cmd.run)
        for name, group in sorted(self.groups.items()):
            parser = subparsers.add_parser(name, help=group.help, description=group.help)
            inner = parser.add_subparsers(dest=f"_{name}_command", metavar="COMMAND", required=True)
            group.install(inner)
