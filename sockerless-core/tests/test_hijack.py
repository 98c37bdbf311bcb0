"""The hijacking HTTP protocol, against raw sockets."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest
import uvicorn
from sockerless.server.hijack import HIJACK_EXTENSION, HijackingProtocol
from uvicorn.server import ServerState


async def echo_app(scope, receive, send):
    """Reads the body, hijacks, echoes the body then every client byte upper-cased until EOF."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    conn = scope["extensions"][HIJACK_EXTENSION](b"HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
    conn.write(b"body=" + body + b"\n")
    while data := await conn.read():
        conn.write(data.upper())
    await asyncio.sleep(0.05)
    conn.write(b"bye after eof\n")
    conn.close()


@pytest.fixture
def server(tmp_path):
    path = str(tmp_path / "h.sock")
    ready = threading.Event()
    loop = asyncio.new_event_loop()

    def run():
        asyncio.set_event_loop(loop)
        config = uvicorn.Config(echo_app, http=HijackingProtocol, lifespan="off", ws="none", log_level="warning")
        config.load()
        state = ServerState()

        async def main():
            await loop.create_unix_server(
                lambda: HijackingProtocol(config=config, server_state=state, app_state={}, _loop=loop), path)
            ready.set()

        loop.run_until_complete(main())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait(5)
    yield path
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    sock.settimeout(5)
    while chunk := sock.recv(4096):
        data += chunk
    return data


def test_upgrade_body_and_half_close(server):
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(server)
    sock.sendall(b"POST /x HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
                 b"Content-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}hello")
    time.sleep(0.2)
    sock.sendall(b" world")
    sock.shutdown(socket.SHUT_WR)
    data = _read_all(sock)
    assert data.startswith(b"HTTP/1.1 101 UPGRADED\r\n")
    assert b'body={"a":1}\n' in data
    assert data.endswith(b"HELLO WORLDbye after eof\n")


def test_body_arriving_after_headers(server):
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(server)
    sock.sendall(b"POST /x HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 4\r\n\r\n")
    time.sleep(0.1)
    sock.sendall(b"ab")
    time.sleep(0.1)
    sock.sendall(b"cdxyz")
    sock.shutdown(socket.SHUT_WR)
    data = _read_all(sock)
    assert b"body=abcd\n" in data
    assert b"XYZbye after eof" in data


def test_first_output_waits_until_a_slow_client_has_read_the_head(server):
    """A client that reads the head through a buffered file, then the raw socket (docker-py)."""
    import http.client

    sock = socket.socket(socket.AF_UNIX)
    sock.connect(server)
    sock.sendall(b"POST /x HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n")
    time.sleep(0.3)  # descheduled, as on a loaded machine: the daemon has written its output long ago
    response = http.client.HTTPResponse(sock)
    response.begin()
    assert response.status == 101
    sock.settimeout(5)
    assert sock.recv(4096) == b"body=\n"  # from the raw socket: nothing was left in the head's buffer
    sock.shutdown(socket.SHUT_WR)
    assert _read_all(sock) == b"bye after eof\n"
