"""Reading the engine's replies: heads, chunked and sized bodies, keep-alive."""

from __future__ import annotations

import asyncio

import pytest
from sockerless_docker.upstream import Connection, UpstreamError, parse_head


def reply(data: bytes, method: str = "GET"):
    async def read():
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        head = await reader.readuntil(b"\r\n\r\n")
        response = parse_head(head, Connection(reader, None), method)  # type: ignore[arg-type]
        return response, await response.read_all()

    return asyncio.run(read())


def test_chunked_body_is_decoded() -> None:
    response, body = reply(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
                           b"5\r\nhello\r\n1;ext=1\r\n!\r\n0\r\n\r\n")
    assert body == b"hello!" and response.reusable
    assert response.header(b"content-type") == b"application/json"


def test_sized_body_and_connection_close() -> None:
    response, body = reply(b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabcEXTRA")
    assert (response.status, body, response.reusable) == (404, b"abc", False)


def test_unsized_body_runs_to_eof_and_head_has_none() -> None:
    response, body = reply(b"HTTP/1.1 200 OK\r\n\r\nall of it")
    assert body == b"all of it" and not response.reusable
    response, body = reply(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", method="HEAD")
    assert body == b"" and response.reusable


def test_truncated_bodies_and_garbage_are_errors() -> None:
    with pytest.raises(UpstreamError, match="mid-body"):
        reply(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")
    with pytest.raises(UpstreamError, match="mid-chunk"):
        reply(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhe")
    with pytest.raises(UpstreamError, match="not an HTTP reply"):
        reply(b"SSH-2.0-OpenSSH\r\n\r\n")
