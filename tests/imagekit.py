"""Making real test images without a registry on the internet: OCI layouts, private registries.

Layers are built with :mod:`tarfile` (a busybox-static root filesystem, or marker files),
laid out as an OCI image layout and copied into a registry with ``skopeo``. Private
registries are Debian's ``docker-registry`` (distribution 2.8) on a free loopback port.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

BUSYBOX = "/usr/bin/busybox"
# bcrypt of "images-secret" (cost 5), so the test needs no bcrypt library.
HTPASSWD = "images-user:$2b$05$ANyqTJkFg4w9B6hj13WSiO.fv2TYA0VCrEs/XFxCwpZ21LGMCjPO6\n"
USER, PASSWORD = "images-user", "images-secret"
APPLETS = ("sh", "echo", "cat", "ls", "id", "pwd", "true", "sleep", "env", "test")


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_tar(files: dict[str, bytes | str], *, busybox: bool = False) -> bytes:
    """An uncompressed layer tar: ``files`` maps paths to content (``str`` = symlink target)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        entries = dict(files)
        if busybox:
            with open(BUSYBOX, "rb") as handle:
                applets = {f"bin/{name}": "busybox" for name in APPLETS}
                entries = {"bin/busybox": handle.read(), **applets, **entries}
        directories = sorted({os.path.dirname(p) for p in entries if os.path.dirname(p)})
        for directory in directories:
            info = tarfile.TarInfo(directory)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        for path, content in sorted(entries.items()):
            info = tarfile.TarInfo(path)
            if isinstance(content, str):
                info.type, info.linkname = tarfile.SYMTYPE, content
                tar.addfile(info)
            else:
                info.size, info.mode = len(content), 0o755
                tar.addfile(info, io.BytesIO(content))
    return out.getvalue()


@dataclass
class BuiltImage:
    manifest: bytes
    config: bytes
    layers: list[bytes]  # uncompressed tars


def oci_image(layers: list[bytes], *, arch: str = "amd64", cmd: list[str] | None = None,
              env: list[str] | None = None, extra: dict | None = None) -> BuiltImage:
    """An OCI image (gzip layers) made of uncompressed ``layers``."""
    config = {"architecture": arch, "os": "linux", "created": "2024-01-02T03:04:05Z",
              "config": {"Env": env or ["PATH=/bin"], "Cmd": cmd or ["/bin/sh"], **(extra or {})},
              "rootfs": {"type": "layers", "diff_ids": [sha256(layer) for layer in layers]},
              "history": [{"created": "2024-01-02T03:04:05Z", "created_by": f"layer {i}"} for i in range(len(layers))]}
    config_raw = json.dumps(config).encode()
    gz = [gzip.compress(layer, mtime=0) for layer in layers]
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(config_raw), "size": len(config_raw)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha256(g), "size": len(g)} for g in gz],
    }).encode()
    return BuiltImage(manifest, config_raw, gz)


def write_layout(directory: Path, images: list[tuple[BuiltImage, dict]], tag: str, *, as_index: bool) -> None:
    """An OCI layout holding ``images`` (each with its platform) under ``tag``, as an index or a single manifest."""
    blobs = directory / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)

    def put(data: bytes) -> str:
        digest = sha256(data)
        (blobs / digest.removeprefix("sha256:")).write_bytes(data)
        return digest

    descriptors = []
    for image, platform in images:
        put(image.config)
        for layer in image.layers:
            put(layer)
        descriptors.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put(image.manifest),
                            "size": len(image.manifest), "platform": platform})
    if as_index:
        index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                            "manifests": descriptors}).encode()
        top = {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": put(index), "size": len(index)}
    else:
        top = dict(descriptors[0])
        top.pop("platform")
    top["annotations"] = {"org.opencontainers.image.ref.name": tag}
    (directory / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [top]}))
    (directory / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')


def skopeo_push(layout: Path, tag: str, destination: str, *, creds: str | None = None) -> None:
    """Copy the layout (all platforms) into a registry."""
    args = ["skopeo", "copy", "--all", "--quiet", "--dest-tls-verify=false", "--preserve-digests"]
    if creds:
        args += ["--dest-creds", creds]
    subprocess.run([*args, f"oci:{layout}:{tag}", f"docker://{destination}"], check=True, capture_output=True, timeout=120)


def registry_digest(registry: str, repository: str, reference: str, *, index: bool = False) -> str:
    """The digest the registry serves for ``repository:reference`` (its Docker-Content-Digest)."""
    accept = ("application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, "
              if index else "") + "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json"
    request = urllib.request.Request(f"http://{registry}/v2/{repository}/manifests/{reference}", method="HEAD",
                                     headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["Docker-Content-Digest"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRegistry:
    """A distribution registry on a free loopback port, optionally with htpasswd auth."""

    def __init__(self, workdir: Path, *, htpasswd: bool) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        workdir.mkdir(parents=True, exist_ok=True)
        auth = ""
        if htpasswd:
            (workdir / "htpasswd").write_text(HTPASSWD)
            auth = f"auth:\n  htpasswd:\n    realm: images-test\n    path: {workdir / 'htpasswd'}\n"
        (workdir / "config.yml").write_text(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
            f"    rootdirectory: {workdir / 'data'}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: {self.address}\n{auth}")
        log = open(workdir / "registry.log", "wb")  # noqa: SIM115 - handed to the child
        self.process = subprocess.Popen(["docker-registry", "serve", str(workdir / "config.yml")], stdout=log,
                                        stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"registry did not start: {(workdir / 'registry.log').read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.workdir / "data", ignore_errors=True)


class TokenAuthProxy:
    """A registry front that demands Bearer tokens from its own token server, like Docker Hub does.

    ``/token`` checks Basic credentials and hands out a token for the requested scopes;
    ``/v2/...`` without a valid token answers 401 with a ``WWW-Authenticate: Bearer`` challenge,
    with one it is forwarded to the real registry behind it. ``scopes`` records what was asked.
    With ``break_first_blob`` the first download of each blob is cut off half way.
    """

    def __init__(self, upstream: str, *, require_token: bool = True, break_first_blob: bool = False) -> None:
        import base64
        import http.client
        import secrets
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.upstream = upstream
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.scopes: list[str] = []
        self.broken: list[str] = []
        self.refreshed = 0
        tokens: set[str] = set()
        refresh_tokens: set[str] = set()
        proxy = self
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _token(self) -> None:
                from urllib.parse import parse_qs, urlparse

                query = parse_qs(urlparse(self.path).query)
                if self.headers.get("Authorization") != expected:
                    self._send(401, b'{"details":"bad credentials"}')
                    return
                proxy.scopes.extend(query.get("scope", []))
                token = secrets.token_hex(16)
                tokens.add(token)
                answer = {"token": token}
                if query.get("offline_token") == ["true"]:
                    answer["refresh_token"] = secrets.token_hex(16)
                    refresh_tokens.add(answer["refresh_token"])
                self._send(200, json.dumps(answer).encode(), {"Content-Type": "application/json"})

            def _refresh(self) -> None:
                from urllib.parse import parse_qs

                form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
                if form.get("grant_type") != ["refresh_token"] or form.get("refresh_token", [""])[0] not in refresh_tokens:
                    self._send(401, b'{"details":"bad refresh token"}')
                    return
                proxy.refreshed += 1
                proxy.scopes.extend(form.get("scope", [""])[0].split())
                token = secrets.token_hex(16)
                tokens.add(token)
                self._send(200, json.dumps({"access_token": token}).encode(), {"Content-Type": "application/json"})

            def _forward(self) -> None:
                auth = self.headers.get("Authorization", "")
                if require_token and (not auth.startswith("Bearer ") or auth[7:] not in tokens):
                    challenge = f'Bearer realm="http://{proxy.address}/token",service="images-test"'
                    parts = self.path.split("/")
                    if len(parts) > 4:
                        repo = "/".join(parts[2:-2])
                        challenge += f',scope="repository:{repo}:pull"'
                    self._send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                               {"WWW-Authenticate": challenge, "Content-Type": "application/json"})
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("authorization", "connection")}
                conn = http.client.HTTPConnection(proxy.upstream, timeout=60)
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                out = {k: v for k, v in response.getheaders()
                       if k.lower() not in ("content-length", "connection", "transfer-encoding")}
                conn.close()
                if break_first_blob and self.command == "GET" and "/blobs/" in self.path and self.path not in proxy.broken \
                        and len(data) > 1024:
                    proxy.broken.append(self.path)
                    self.send_response(response.status)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self._send(response.status, data, out)

            def do_GET(self) -> None:
                self._token() if self.path.startswith("/token") else self._forward()

            def do_POST(self) -> None:
                self._refresh() if self.path.startswith("/token") else self._forward()

            do_HEAD = do_PUT = do_PATCH = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
