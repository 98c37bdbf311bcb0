"""Small client-side helpers for tools that talk to a daemon over its unix socket."""

from __future__ import annotations

import http.client
import socket


class UnixHTTPConnection(http.client.HTTPConnection):
    """``http.client`` over a unix socket (``UnixHTTPConnection("/run/x.sock").request(...)``)."""

    def __init__(self, path: str, timeout: float = 30.0) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


def ping(path: str, timeout: float = 2.0) -> bool:
    """True when ``GET /_ping`` on the socket at ``path`` answers 200."""
    try:
        conn = UnixHTTPConnection(path, timeout=timeout)
        try:
            conn.request("GET", "/_ping")
            return conn.getresponse().status == 200
        finally:
            conn.close()
    except (OSError, http.client.HTTPException):
        return False
