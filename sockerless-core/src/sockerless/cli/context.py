"""``sockerless context``: register this daemon as a Docker CLI context.

The Docker CLI keeps contexts under ``$DOCKER_CONFIG/contexts`` (``~/.docker`` by
default): ``meta/<sha256 of the name>/meta.json`` holds the endpoint, ``tls/<same>/docker/``
the client certificates. Writing them directly means no Docker CLI is needed to set up.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
from pathlib import Path

from .. import paths


def configure(parser: argparse.ArgumentParser) -> None:
    """Options of ``sockerless context``."""
    parser.add_argument("--name", default="sockerless", help="context name (default: sockerless)")
    parser.add_argument("-H", "--host", default=None, help=f"daemon address (default: {paths.default_host()})")
    parser.add_argument("--description", default="Sockerless daemon", help="context description")
    parser.add_argument("--tlscacert", help="CA certificate to verify the daemon with")
    parser.add_argument("--tlscert", help="client certificate")
    parser.add_argument("--tlskey", help="client key")
    parser.add_argument("--skip-tls-verify", action="store_true", help="do not verify the daemon's certificate")
    parser.add_argument("--use", action="store_true", help="also make it the current context")
    parser.add_argument("--remove", action="store_true", help="remove the context instead")


def docker_config_dir() -> Path:
    """``$DOCKER_CONFIG`` or ``~/.docker``."""
    env = os.environ.get("DOCKER_CONFIG")
    return Path(env) if env else Path.home() / ".docker"


def _context_dirs(name: str) -> tuple[Path, Path]:
    digest = hashlib.sha256(name.encode()).hexdigest()
    base = docker_config_dir() / "contexts"
    return base / "meta" / digest, base / "tls" / digest


def _set_current(name: str | None) -> None:
    config_path = docker_config_dir() / "config.json"
    config = json.loads(config_path.read_text()) if config_path.exists() else {}
    if name is None:
        config.pop("currentContext", None)
    else:
        config["currentContext"] = name
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config_path.write_text(json.dumps(config, indent="\t") + "\n")


def run(args: argparse.Namespace) -> int:
    """Create, update or remove the context."""
    if args.name in ("default", ""):
        print("sockerless: the context name 'default' is reserved by the Docker CLI")
        return 1
    meta_dir, tls_dir = _context_dirs(args.name)
    if args.remove:
        shutil.rmtree(meta_dir, ignore_errors=True)
        shutil.rmtree(tls_dir, ignore_errors=True)
        config_path = docker_config_dir() / "config.json"
        if config_path.exists() and json.loads(config_path.read_text()).get("currentContext") == args.name:
            _set_current(None)
        print(f"removed Docker context {args.name!r}")
        return 0
    host = args.host or paths.default_host()
    if host.startswith("/"):
        host = "unix://" + host
    meta = {
        "Name": args.name,
        "Metadata": {"Description": args.description},
        "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": bool(args.skip_tls_verify)}},
    }
    meta_dir.mkdir(parents=True, exist_ok=True)
    (meta_dir / "meta.json").write_text(json.dumps(meta))
    shutil.rmtree(tls_dir, ignore_errors=True)
    material = {"ca.pem": args.tlscacert, "cert.pem": args.tlscert, "key.pem": args.tlskey}
    if any(material.values()):
        target = tls_dir / "docker"
        target.mkdir(parents=True, exist_ok=True, mode=0o700)
        for filename, source in material.items():
            if source:
                shutil.copyfile(source, target / filename)
                os.chmod(target / filename, 0o600)
    if args.use:
        _set_current(args.name)
    print(f"Docker context {args.name!r} points at {host}; use it with: docker --context {args.name} ps")
    return 0
