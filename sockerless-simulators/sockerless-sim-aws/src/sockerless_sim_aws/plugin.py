"""Entry point of ``sockerless-sim-aws``: adds ``sockerless sim aws``."""

from __future__ import annotations

from sockerless.plugins.commands import CommandRegistry
from sockerless.plugins.hookspecs import hookimpl


@hookimpl
def sockerless_add_commands(commands: CommandRegistry) -> None:
    """``sockerless sim aws``: serve the simulated AWS APIs on one loopback port."""
    from . import cli

    commands.group("sim", "cloud simulators").command(
        "aws", cli.run, help="serve ECS, Lambda, Logs, ECR, EC2, IAM, STS, Cloud Map and EFS on one port",
        configure=cli.configure)
