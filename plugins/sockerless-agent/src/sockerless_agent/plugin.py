"""The agent as a Sockerless plugin: ``sockerless agent [options] -- COMMAND`` runs it too.

Only this module touches the plugin framework; the agent itself (and its frozen build) never
imports it.
"""

from __future__ import annotations

from sockerless.plugins.hookspecs import hookimpl

from .cli import add_arguments, run


@hookimpl
def sockerless_add_commands(commands) -> None:
    commands.command("agent", run, help="run the in-workload agent (same as sockerless-agent)", configure=add_arguments)
