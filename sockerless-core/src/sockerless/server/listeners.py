"""Listening addresses (``-H``), TLS, and the security rules for them."""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import ssl
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


class ListenerError(ValueError):
    """A ``-H`` value or TLS setting that cannot be used."""


@dataclass(frozen=True)
class TLSSettings:
    """dockerd-style TLS options."""

    enabled: bool = False
    verify: bool = False
    ca: str = ""
    cert: str = ""
    key: str = ""

    def context(self) -> ssl.SSLContext | None:
        """A server context, or ``None`` without TLS."""
        if not (self.enabled or self.verify):
            return None
        for label, path in (("certificate", self.cert), ("key", self.key)):
            if not path or not os.path.exists(path):
                raise ListenerError(f"TLS {label} file not found: {path or '(not given)'}")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(self.cert, self.key)
        if self.verify:
            if not self.ca or not os.path.exists(self.ca):
                raise ListenerError(f"--tlsverify needs a CA file (--tlscacert): {self.ca or '(not given)'}")
            ctx.load_verify_locations(self.ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
        return ctx


@dataclass(frozen=True)
class Listener:
    """One address to listen on."""

    scheme: str
    """``unix`` or ``tcp``."""
    path: str = ""
    host: str = ""
    port: int = 0

    @property
    def url(self) -> str:
        """The address as a ``-H`` value."""
        if self.scheme == "unix":
            return f"unix://{self.path}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"tcp://{host}:{self.port}"

    @property
    def loopback(self) -> bool:
        """True for unix sockets and loopback TCP addresses."""
        if self.scheme == "unix":
            return True
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse(value: str) -> Listener:
    """``unix:///path``, ``/path``, ``tcp://host:port``, ``tcp://:port`` (all interfaces)."""
    if value.startswith("/"):
        value = "unix://" + value
    parts = urlsplit(value)
    if parts.scheme == "unix":
        path = parts.path or (parts.netloc + parts.path)
        if not path:
            raise ListenerError(f"invalid unix socket address {value!r}")
        return Listener("unix", path=path)
    if parts.scheme == "tcp":
        try:
            port = parts.port
        except ValueError:
            raise ListenerError(f"invalid port in {value!r}") from None
        if port is None:
            raise ListenerError(f"{value!r} needs a port (tcp://HOST:PORT)")
        host = parts.hostname if parts.hostname is not None else "0.0.0.0"
        return Listener("tcp", host=host or "0.0.0.0", port=port)
    raise ListenerError(f"unsupported address {value!r}: use unix://PATH or tcp://HOST:PORT")


def check_security(listener: Listener, tls: TLSSettings, insecure: bool) -> str | None:
    """Refuse plain TCP beyond loopback unless forced; returns a warning to log, if any."""
    if listener.scheme != "tcp" or tls.enabled or tls.verify:
        if listener.scheme == "tcp" and tls.enabled and not tls.verify and not listener.loopback:
            return f"{listener.url}: TLS without --tlsverify: any client that can connect controls the daemon"
        return None
    if listener.loopback:
        return None
    if not insecure:
        raise ListenerError(
            f"refusing to listen on {listener.url} without TLS: anyone who can reach it would control the daemon. "
            "Use --tlsverify with certificates, a loopback address, or --insecure-tcp to force it")
    return f"{listener.url}: listening on plain TCP beyond loopback (--insecure-tcp): this is not secure"


def bind(listener: Listener) -> socket.socket:
    """Create and bind the listening socket (a stale unix socket file is replaced)."""
    if listener.scheme == "unix":
        return _bind_unix(Path(listener.path))
    infos = socket.getaddrinfo(listener.host, listener.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, type_, proto, _, addr = infos[0]
    sock = socket.socket(family, type_, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError as exc:
        sock.close()
        raise ListenerError(f"cannot listen on {listener.url}: {exc.strerror}") from None
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def _bind_unix(path: Path) -> socket.socket:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    if path.exists() or path.is_symlink():
        if not stat.S_ISSOCK(os.lstat(path).st_mode):
            raise ListenerError(f"{path} exists and is not a socket")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
        except OSError as exc:
            if exc.errno not in (errno.ECONNREFUSED, errno.ENOENT):
                raise
            path.unlink()
        else:
            raise ListenerError(f"another daemon is already listening on {path}")
        finally:
            probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o117)
    try:
        sock.bind(str(path))
    finally:
        os.umask(old_umask)
    os.chmod(path, 0o660)
    sock.listen(1024)
    sock.setblocking(False)
    return sock
