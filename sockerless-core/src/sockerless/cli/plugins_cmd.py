"""``sockerless plugins``: what was discovered through the entry points."""

from __future__ import annotations

import argparse
import json

from ..plugins.hookspecs import HOOKS_VERSION
from ..plugins.manager import ENTRY_POINT_GROUP, PluginManager


def configure(parser: argparse.ArgumentParser) -> None:
    """Options of ``sockerless plugins``."""
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def run(args: argparse.Namespace, manager: PluginManager) -> int:
    """Print the plugins, the backends they offer and the hooks they implement."""
    try:
        manager.backends()
    except RuntimeError as exc:
        print(f"error: {exc}")
        return 1
    records = sorted(manager.records, key=lambda r: r.name)
    if args.json:
        print(json.dumps([vars(r) for r in records], indent=2))
        return 0
    print(f"entry point group: {ENTRY_POINT_GROUP} (hooks version {HOOKS_VERSION})")
    if not records:
        print("no plugins installed")
        return 0
    for record in records:
        origin = f"{record.distribution} {record.version}".strip() or "(no distribution)"
        print(f"{record.name}: {record.value} [{origin}]")
        if record.error:
            print(f"  FAILED TO LOAD: {record.error}")
            continue
        if record.backends:
            print(f"  backends: {', '.join(record.backends)}")
        if record.hooks:
            print(f"  hooks: {', '.join(record.hooks)}")
    return 1 if any(r.error for r in records) else 0
