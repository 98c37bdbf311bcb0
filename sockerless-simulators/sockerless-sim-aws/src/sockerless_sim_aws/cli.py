"""``sockerless sim aws`` (and the standalone ``sockerless-sim-aws``): options and the serve loop."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import signal
import sys
import threading
from pathlib import Path

LOOPBACK_NAMES = {"localhost"}


def configure(parser: argparse.ArgumentParser) -> None:
    """The simulator's options (every one also has an environment variable)."""
    env = os.environ.get
    parser.add_argument("--host", default=env("SOCKERLESS_SIM_AWS_HOST", "127.0.0.1"),
                        help="loopback address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=int(env("SOCKERLESS_SIM_AWS_PORT", "4566")),
                        help="port (default 4566; 0 picks a free one, printed at start)")
    parser.add_argument("--data-dir", type=Path,
                        default=Path(env("SOCKERLESS_SIM_AWS_DATA_DIR", "/tmp/sockerless-sim-aws")),
                        help="registry blobs, scratch dirs and the state file")
    parser.add_argument("--persist", action="store_true", default=env("SOCKERLESS_SIM_AWS_PERSIST") == "1",
                        help="keep ECS, Lambda, Logs and ECR state across restarts (in DATA_DIR/state.json)")
    parser.add_argument("--executor", choices=("process", "docker"), default=env("SOCKERLESS_SIM_AWS_EXECUTOR", "process"),
                        help="how workloads run: local processes (default) or containers on a Docker engine")
    parser.add_argument("--docker-host", default=env("SOCKERLESS_SIM_AWS_DOCKER_HOST", ""),
                        help="Docker engine for --executor docker (unix:// or tcp://)")
    parser.add_argument("--docker-network", default=env("SOCKERLESS_SIM_AWS_DOCKER_NETWORK", "host"),
                        help="network of containers run by the docker executor (default host)")
    parser.add_argument("--docker-pause-image", default=env("SOCKERLESS_SIM_AWS_DOCKER_PAUSE_IMAGE", "busybox:latest"),
                        help="image of the container holding a task's network namespace when --docker-network "
                             "is not host (default busybox:latest)")
    parser.add_argument("--step-delay", type=float, default=float(env("SOCKERLESS_SIM_AWS_STEP_DELAY", "0.05")),
                        help="seconds between ECS task state transitions (default 0.05)")
    parser.add_argument("--log-level", default=env("SOCKERLESS_SIM_AWS_LOG_LEVEL", "warning"))


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM."""
    from .server import Simulator, SimulatorConfig

    level = args.log_level.upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(level)  # its request lines only when asked for (info, debug)
    if not _is_loopback(args.host):
        print(f"sockerless sim aws: refusing to listen on {args.host}: simulators listen on loopback only",
              file=sys.stderr)
        return 2
    config = SimulatorConfig(host=args.host, port=args.port, data_dir=args.data_dir, persist=args.persist,
                             executor=args.executor, docker_host=args.docker_host,
                             docker_network=args.docker_network,
                             docker_pause_image=args.docker_pause_image, step_delay=args.step_delay)
    try:
        simulator = Simulator(config)
    except ValueError as exc:
        print(f"sockerless sim aws: {exc}", file=sys.stderr)
        return 2
    ready = threading.Event()
    thread = threading.Thread(target=simulator.serve, args=(ready,), name="sim-aws", daemon=True)
    thread.start()
    ready.wait(30)
    print(f"AWS simulator listening on http://{config.host}:{simulator.port}", flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    simulator.shutdown()
    simulator.close()
    thread.join(10)
    return 0


def main(argv: list[str] | None = None) -> int:
    """The standalone console script."""
    parser = argparse.ArgumentParser(prog="sockerless-sim-aws", description="Sockerless AWS simulator")
    configure(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
