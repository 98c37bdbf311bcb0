"""``sockerless-agent [options] -- COMMAND [ARG...]``: wrap a workload's command and serve sessions."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import ssl
import sys

from sockerless.agent import protocol

from . import dnsconf, mounts
from .lambda_runtime import RUNTIME_API_ENV, Invocation, RuntimeAPIError, RuntimeClient
from .mainproc import MainProcess
from .modes import run_forward, run_reverse
from .sessions import AgentService
from .spawn import SpawnError, SpawnSpec, host_path
from .users import UnknownUser, resolve

log = logging.getLogger("sockerless_agent")

ENV_PREFIX = "SOCKERLESS_AGENT_"
KEEP_ALIVE_IDIOMS = (("tail", "-f", "/dev/null"), ("tail", "-F", "/dev/null"), ("tail", "-f", "-n0", "/dev/null"),
                     ("sleep", "infinity"))
SHELLS = ("sh", "bash", "ash", "dash")


def is_keep_alive_command(argv: list[str]) -> bool:
    """The keep-alive rule: commands whose only purpose is to stay up (CI job containers).

    ``tail -f /dev/null``, ``tail -F /dev/null``, ``sleep infinity`` (the program named by
    any path), alone or as the whole script of ``sh -c``/``bash -c``.
    """
    if len(argv) == 3 and os.path.basename(argv[0]) in SHELLS and argv[1] == "-c":
        argv = argv[2].split()
    if not argv:
        return False
    words = (os.path.basename(argv[0]), *argv[1:])
    return words in KEEP_ALIVE_IDIOMS


def _env(name: str, default: str = "") -> str:
    return os.environ.get(ENV_PREFIX + name, default)


def parser() -> argparse.ArgumentParser:
    """The agent's command line."""
    p = argparse.ArgumentParser(prog="sockerless-agent", description=__doc__)
    add_arguments(p)
    return p


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The agent's options (each also settable by a ``SOCKERLESS_AGENT_*`` variable)."""
    p.add_argument("--listen", default=_env("LISTEN"), metavar="[HOST:]PORT",
                   help="forward mode: listen here for the daemon (env SOCKERLESS_AGENT_LISTEN)")
    p.add_argument("--connect", default=_env("CONNECT"), metavar="URL",
                   help="reverse mode: dial the daemon's agent endpoint, ws:// or wss:// (env SOCKERLESS_AGENT_CONNECT)")
    p.add_argument("--container", default=_env("CONTAINER"), help="reverse mode: the container id (env SOCKERLESS_AGENT_CONTAINER)")
    p.add_argument("--keep-alive", default=_env("KEEP_ALIVE", "auto"), choices=("auto", "always", "never"),
                   help="auto: keep-alive idioms such as 'tail -f /dev/null' become 'stay up and serve'; "
                        "always: never run the command; never: always run it (env SOCKERLESS_AGENT_KEEP_ALIVE)")
    p.add_argument("--lambda", dest="lambda_mode", action="store_true", default=_env("LAMBDA") == "1",
                   help="Lambda runtime-client mode (reverse mode only): run the command for the invocation from "
                        "AWS_LAMBDA_RUNTIME_API and post its exit code as the response (env SOCKERLESS_AGENT_LAMBDA=1)")
    p.add_argument("--connect-timeout", type=float, default=float(_env("CONNECT_TIMEOUT", "0")), metavar="SECONDS",
                   help="reverse mode: end the main process (SIGKILL) when no daemon connection was made within this "
                        "time, so a workload nobody can reach does not run unsupervised (0: wait for ever; "
                        "env SOCKERLESS_AGENT_CONNECT_TIMEOUT)")
    p.add_argument("--tty", action="store_true", default=_env("TTY") == "1", help="give the main process a terminal")
    p.add_argument("--stdin", action="store_true", default=_env("STDIN") == "1",
                   help="give the main process a stdin pipe fed by attach sessions")
    p.add_argument("--tls-cert", default=_env("TLS_CERT"), help="forward mode: serve TLS with this certificate")
    p.add_argument("--tls-key", default=_env("TLS_KEY"), help="forward mode: key of --tls-cert")
    p.add_argument("--ca-file", default=_env("CA_FILE"), help="reverse mode: CA bundle to verify a wss:// daemon")
    p.add_argument("--replay-buffer", type=int, default=int(_env("REPLAY_BUFFER", str(1 << 20))),
                   help="bytes of main-process output kept per stream for late attach (default 1 MiB)")
    p.add_argument("--archive-root", default=_env("ARCHIVE_ROOT"),
                   help="the directory docker cp sees as the container root (default: --root, else /; "
                        "env SOCKERLESS_AGENT_ARCHIVE_ROOT)")
    p.add_argument("--root", default=_env("ROOT"),
                   help="run the main process and every exec chrooted into this directory (a container root "
                        "filesystem prepared on the host; needs root privileges; env SOCKERLESS_AGENT_ROOT)")
    p.add_argument("--user", default=_env("USER"),
                   help="the main process's user (name, uid, name:group, uid:gid; resolved in --root's /etc files "
                        "when given; env SOCKERLESS_AGENT_USER)")
    p.add_argument("--workdir", default=_env("WORKDIR"),
                   help="working directory of the main process and execs, inside --root (created when missing, "
                        "as Docker does; default: / with --root, else the agent's own; env SOCKERLESS_AGENT_WORKDIR)")
    p.add_argument("--dns-search", default=_env("DNS_SEARCH"),
                   help="domains (space or comma separated) the workload's resolver searches first: written into "
                        "/etc/resolv.conf of --root (else of /) before the main process starts; env "
                        "SOCKERLESS_AGENT_DNS_SEARCH")
    p.add_argument("--linger", type=float, default=float(_env("LINGER", "10")),
                   help="after the main process ends, stay up at most this many seconds until a daemon has "
                        "collected its output and exit status (default 10; env SOCKERLESS_AGENT_LINGER)")
    p.add_argument("--log-file", default=_env("LOG_FILE"), help="the agent's own log (default: stderr)")
    p.add_argument("--log-level", default=_env("LOG_LEVEL", "warning"), choices=("debug", "info", "warning", "error"))
    p.add_argument("command", nargs=argparse.REMAINDER, help="the workload's command (after --)")


def _listen_address(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not port.isdigit():
        raise SystemExit(f"sockerless-agent: --listen needs [HOST:]PORT, got {value!r}")
    return (host.strip("[]") if sep and host else "0.0.0.0"), int(port)


def main(argv: list[str] | None = None) -> int:
    """Run the agent; its exit code is the main process's."""
    return run(parser().parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Run the agent with parsed options."""
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    logging.basicConfig(level=args.log_level.upper(), filename=args.log_file or None,
                        format="sockerless-agent: %(asctime)s %(levelname)s %(message)s")
    token = os.environ.get(protocol.TOKEN_ENV, "")
    if not token and not args.lambda_mode:
        print(f"sockerless-agent: {protocol.TOKEN_ENV} must hold the container's token", file=sys.stderr)
        return 2
    if args.lambda_mode and args.listen:
        print("sockerless-agent: --lambda works in reverse mode only (--connect): a function takes no connections",
              file=sys.stderr)
        return 2
    if bool(args.listen) == bool(args.connect):
        print("sockerless-agent: give exactly one of --listen (forward mode) or --connect (reverse mode)", file=sys.stderr)
        return 2
    if args.connect and not args.container:
        print("sockerless-agent: reverse mode needs --container", file=sys.stderr)
        return 2
    if args.root and (os.geteuid() != 0 or not os.path.isdir(args.root)):
        print(f"sockerless-agent: --root {args.root}: " + ("not a directory" if os.geteuid() == 0 else
              "entering a container root needs root privileges"), file=sys.stderr)
        return 2
    mounts_text = os.environ.get(mounts.MOUNTS_ENV, "")
    if mounts_text:
        if not args.root:
            print(f"sockerless-agent: {mounts.MOUNTS_ENV} needs --root (the mounts are made inside it)", file=sys.stderr)
            return 2
        try:
            mounts.enter(os.path.abspath(args.root), mounts.parse(mounts_text))
        except (mounts.MountError, OSError) as exc:
            print(f"sockerless-agent: {exc}", file=sys.stderr)
            return 2
    domains = dnsconf.parse_domains(args.dns_search or "")
    if domains:
        try:
            dnsconf.add_search_domains(os.path.abspath(args.root) if args.root else "/", domains)
        except OSError as exc:  # the workload runs; its peers' bare names will not resolve
            log.warning("cannot add search domains %s to %s: %s", " ".join(domains), dnsconf.RESOLV_CONF, exc)
    if not command and args.keep_alive != "always":
        print("sockerless-agent: no command given (use --keep-alive always to only serve)", file=sys.stderr)
        return 2
    try:
        if args.lambda_mode:
            return asyncio.run(_run_lambda(args, command, token))
        return asyncio.run(_run(args, command, token))
    except KeyboardInterrupt:
        return 130


async def _run_lambda(args: argparse.Namespace, command: list[str], token: str) -> int:
    """Lambda mode: take the invocation, run the workload for it, answer with its exit code."""
    try:
        runtime = RuntimeClient.from_env()
        invocation = await asyncio.to_thread(runtime.next)
    except RuntimeAPIError as exc:
        print(f"sockerless-agent: {exc}", file=sys.stderr)
        return 2
    log.info("serving Lambda invocation %s", invocation.request_id)
    token = invocation.token or token
    if not token:
        message = f"no agent token: neither {protocol.TOKEN_ENV} nor the invocation's payload holds one"
        print(f"sockerless-agent: {message}", file=sys.stderr)
        await _report(runtime.fail, invocation, message, 2)
        return 2
    return await _run(args, command, token, (runtime, invocation))


async def _end_if_unreached(main: MainProcess, connected: asyncio.Event, url: str, timeout: float) -> None:
    """The ``--connect-timeout`` watchdog: no daemon within ``timeout`` seconds ends the main process."""
    try:
        await asyncio.wait_for(connected.wait(), timeout)
    except TimeoutError:
        message = f"no connection to the daemon at {url} within {timeout:g} s: ending the workload"
        log.error("%s", message)
        print(f"sockerless-agent: {message}", file=sys.stderr)
        main.signal(9)


async def _report(post, *args) -> None:
    try:
        await asyncio.to_thread(post, *args)
    except RuntimeAPIError as exc:
        log.error("%s", exc)
        print(f"sockerless-agent: {exc}", file=sys.stderr)


async def _run(args: argparse.Namespace, command: list[str], token: str,
               lambda_invocation: tuple[RuntimeClient, Invocation] | None = None) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    if lambda_invocation is not None:
        env.pop(RUNTIME_API_ENV, None)  # the invocation is the agent's to answer, not the workload's
    root = os.path.abspath(args.root) if args.root else ""
    cwd = args.workdir or ("/" if root else os.getcwd())
    if root:
        os.makedirs(host_path(root, cwd), exist_ok=True)
    try:
        identity = resolve(args.user, passwd=host_path(root, "/etc/passwd"), group=host_path(root, "/etc/group")) \
            if args.user else None
    except (UnknownUser, OSError) as exc:
        message = str(exc) if isinstance(exc, UnknownUser) else f"unable to find user {args.user}: {exc}"
        print(f"sockerless-agent: {message}", file=sys.stderr)
        if lambda_invocation is not None:
            await _report(lambda_invocation[0].fail, lambda_invocation[1], message, 126)
        return 126
    if identity is not None:
        env.setdefault("HOME", identity.home)
    keep_alive = args.keep_alive == "always" or (args.keep_alive == "auto" and is_keep_alive_command(command))
    spec = None if keep_alive else SpawnSpec(argv=command, env=env, cwd=cwd, tty=args.tty, stdin=args.stdin,
                                             new_session=True, root=root, identity=identity)
    main = MainProcess(spec, replay_limit=args.replay_buffer)
    try:
        await main.start()
    except SpawnError as exc:
        print(f"sockerless-agent: {exc.message}", file=sys.stderr)
        if lambda_invocation is not None:
            await _report(lambda_invocation[0].fail, lambda_invocation[1], exc.message, exc.exit_code)
        return exc.exit_code
    if keep_alive:
        log.info("keep-alive mode: serving until stopped (command %s not run)", command)
    service = AgentService(main, env, cwd, args.archive_root or root or "/", root, args.user or "")
    loop = asyncio.get_running_loop()
    stopped: asyncio.Future[None] = loop.create_future()
    running = asyncio.ensure_future(main.run())

    async def stop_after_exit() -> None:
        await asyncio.shield(main.exited)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(main.exit_delivered.wait(), args.linger)
        await service.drain()
        stopped.set_result(None)

    stopper = asyncio.ensure_future(stop_after_exit())
    responder = None
    if lambda_invocation is not None:
        runtime, invocation = lambda_invocation

        async def respond_after_exit() -> None:
            await _report(runtime.respond, invocation, await asyncio.shield(main.exited))

        responder = asyncio.ensure_future(respond_after_exit())
    if args.listen:
        tls = None
        if args.tls_cert:
            tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            tls.load_cert_chain(args.tls_cert, args.tls_key or None)
        host, port = _listen_address(args.listen)
        connection = asyncio.ensure_future(run_forward(service, host, port, token, tls, stopped))
    else:
        tls = ssl.create_default_context(cafile=args.ca_file or None)
        connected = asyncio.Event()
        connection = asyncio.ensure_future(run_reverse(service, args.connect, token, args.container, tls, stopped,
                                                       on_connected=connected.set))
        if args.connect_timeout > 0:
            watchdog = asyncio.ensure_future(_end_if_unreached(main, connected, args.connect, args.connect_timeout))
            stopped.add_done_callback(lambda _: watchdog.cancel())
    done, _ = await asyncio.wait([connection, stopper], return_when=asyncio.FIRST_COMPLETED)
    if connection in done and connection.exception() is not None:
        log.error("cannot serve the daemon: %s", connection.exception())
        print(f"sockerless-agent: cannot serve the daemon: {connection.exception()}", file=sys.stderr)
        main.signal(9)
    code = await running
    if responder is not None:
        await responder
    await stopper
    await connection
    return code
