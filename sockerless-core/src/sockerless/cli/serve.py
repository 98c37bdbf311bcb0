"""``sockerless serve``: options like dockerd's, then run the daemon."""

from __future__ import annotations

import argparse
import logging
import os
import ssl
import sys
import tomllib
from pathlib import Path
from typing import Any

from .. import paths
from ..agent.hub import HubSettings
from ..engine.registry import RegistrySettings
from ..plugins.manager import PluginManager
from ..server.listeners import ListenerError, TLSSettings
from ..server.listeners import parse as parse_listener
from ..server.serve import ServeOptions
from ..server.serve import run as run_daemon

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


def configure(parser: argparse.ArgumentParser, manager: PluginManager) -> None:
    """Options of ``sockerless serve``."""
    env = os.environ
    parser.add_argument("--backend", default=env.get("SOCKERLESS_BACKEND"),
                        help="backend to run containers on (default: memory; env SOCKERLESS_BACKEND)")
    parser.add_argument("-H", "--host", action="append", dest="hosts", metavar="ADDR",
                        help="address to listen on: unix:///PATH or tcp://HOST:PORT (repeatable; default: "
                             f"{paths.default_host()}; env SOCKERLESS_HOST, comma-separated)")
    parser.add_argument("--data-root", default=None,
                        help=f"where state is kept (default: {paths.default_data_root()}; env SOCKERLESS_DATA_ROOT)")
    parser.add_argument("--log-level", default=env.get("SOCKERLESS_LOG_LEVEL", "info"), choices=LOG_LEVELS,
                        help="logging level (default: info)")
    parser.add_argument("--tls", action="store_true", help="use TLS on TCP listeners (implied by --tlsverify)")
    parser.add_argument("--tlsverify", action="store_true", help="use TLS and require client certificates signed by --tlscacert")
    parser.add_argument("--tlscacert", default=str(paths.config_dir() / "ca.pem"), help="CA to trust for client certificates")
    parser.add_argument("--tlscert", default=str(paths.config_dir() / "cert.pem"), help="server certificate")
    parser.add_argument("--tlskey", default=str(paths.config_dir() / "key.pem"), help="server key")
    parser.add_argument("--insecure-tcp", action="store_true",
                        help="allow plain TCP on non-loopback addresses (anyone who can connect controls the daemon)")
    parser.add_argument("--backend-opt", action="append", default=[], metavar="KEY=VALUE",
                        help="a backend setting (repeatable)")
    parser.add_argument("--endpoint-url", default=env.get("SOCKERLESS_ENDPOINT_URL"), metavar="URL",
                        help="point a cloud backend at this API endpoint (a cloud simulator), with simulator defaults "
                             "for everything else; the backend option endpoint-url (env SOCKERLESS_ENDPOINT_URL; "
                             "config: serve.endpoint-url)")
    parser.add_argument("--agent-endpoint", default=env.get("SOCKERLESS_AGENT_ENDPOINT", "127.0.0.1:0"), metavar="HOST:PORT",
                        help="where reverse-mode agents dial in (a listener of its own; port 0 picks one when first "
                             "needed; env SOCKERLESS_AGENT_ENDPOINT)")
    parser.add_argument("--agent-endpoint-url", default=env.get("SOCKERLESS_AGENT_ENDPOINT_URL", ""), metavar="URL",
                        help="the ws:// or wss:// URL agents are told to dial, when it differs from the listener "
                             "(a tunnel, a load balancer; env SOCKERLESS_AGENT_ENDPOINT_URL)")
    parser.add_argument("--agent-tlscert", default=env.get("SOCKERLESS_AGENT_TLSCERT", ""),
                        help="serve the agent endpoint as wss:// with this certificate")
    parser.add_argument("--agent-tlskey", default=env.get("SOCKERLESS_AGENT_TLSKEY", ""), help="key of --agent-tlscert")
    parser.add_argument("--registry-mirror", action="append", default=[], dest="registry_mirrors", metavar="URL",
                        help="a Docker Hub mirror tried first for pulls (repeatable; config: serve.registry-mirrors)")
    parser.add_argument("--insecure-registry", action="append", default=[], dest="insecure_registries", metavar="HOST",
                        help="a registry (host[:port] or CIDR) reachable over plain HTTP or unverified TLS "
                             "(repeatable; loopback registries always are; config: serve.insecure-registries)")
    parser.add_argument("--registry-auth-file", default=None, metavar="PATH",
                        help="Docker CLI config.json whose auths are used when a client sends no credentials "
                             "(default: none, every client brings its own; config: serve.registry-auth-file)")
    parser.add_argument("--config", default=None,
                        help=f"TOML configuration file (default: {paths.config_file()} when it exists; env SOCKERLESS_CONFIG)")


def _load_config(path: str | None) -> dict[str, Any]:
    file = Path(path) if path else paths.config_file()
    if not file.exists():
        if path:
            raise SystemExit(f"sockerless: configuration file {file} not found")
        return {}
    with open(file, "rb") as handle:
        try:
            return tomllib.load(handle)
        except tomllib.TOMLDecodeError as exc:
            raise SystemExit(f"sockerless: {file}: {exc}") from None


def options_from_args(args: argparse.Namespace) -> ServeOptions:
    """Merge the command line, the environment and the config file (in that order of precedence)."""
    config = _load_config(args.config)
    serve_cfg = config.get("serve", {})
    backend = args.backend or serve_cfg.get("backend") or "memory"
    hosts = args.hosts or [h for h in os.environ.get("SOCKERLESS_HOST", "").split(",") if h] or serve_cfg.get("hosts") \
        or [paths.default_host()]
    data_root = Path(args.data_root or os.environ.get("SOCKERLESS_DATA_ROOT") or serve_cfg.get("data_root")
                     or paths.default_data_root()).expanduser().resolve()
    backend_options = {str(k): str(v) for k, v in config.get("backend", {}).get(backend, {}).items()}
    endpoint_url = args.endpoint_url or serve_cfg.get("endpoint-url")
    if endpoint_url:
        backend_options["endpoint-url"] = str(endpoint_url)
    for item in args.backend_opt:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"sockerless: --backend-opt needs KEY=VALUE, got {item!r}")
        backend_options[key] = value
    try:
        listeners = [parse_listener(h) for h in hosts]
    except ListenerError as exc:
        raise SystemExit(f"sockerless: {exc}") from None
    tls = TLSSettings(enabled=args.tls or args.tlsverify, verify=args.tlsverify,
                      ca=args.tlscacert, cert=args.tlscert, key=args.tlskey)
    try:
        registry = RegistrySettings(
            mirrors=args.registry_mirrors or list(serve_cfg.get("registry-mirrors", [])),
            insecure=args.insecure_registries or list(serve_cfg.get("insecure-registries", [])),
            config_file=args.registry_auth_file or serve_cfg.get("registry-auth-file") or "")
    except ValueError as exc:
        raise SystemExit(f"sockerless: {exc}") from None
    return ServeOptions(backend=backend, data_root=data_root, listeners=listeners, tls=tls,
                        insecure_tcp=args.insecure_tcp, backend_options=backend_options,
                        agents=_agent_settings(args, serve_cfg), registry=registry)


def _agent_settings(args: argparse.Namespace, serve_cfg: dict[str, Any]) -> HubSettings:
    listen = str(serve_cfg.get("agent-endpoint") or args.agent_endpoint) if args.agent_endpoint == "127.0.0.1:0" \
        else args.agent_endpoint
    tls = None
    if args.agent_tlscert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            tls.load_cert_chain(args.agent_tlscert, args.agent_tlskey or None)
        except OSError as exc:
            raise SystemExit(f"sockerless: cannot load the agent endpoint certificate: {exc}") from None
    url = args.agent_endpoint_url or str(serve_cfg.get("agent-endpoint-url", ""))
    return HubSettings(listen=listen, public_url=url, tls=tls)


def run(args: argparse.Namespace) -> int:
    """Run the daemon in the foreground."""
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    options = options_from_args(args)
    try:
        run_daemon(options, args.plugin_manager)
    except (ListenerError, LookupError, RuntimeError, OSError) as exc:
        print(f"sockerless: {exc}", file=sys.stderr)
        return 1
    return 0
