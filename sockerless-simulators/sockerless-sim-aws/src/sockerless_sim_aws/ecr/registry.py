"""The registry endpoint of ECR: the OCI distribution API (``/v2/``) over :class:`ECRModel`.

Clients authenticate as ECR clients do: ``docker login -u AWS -p $(aws ecr get-login-password)``
(HTTP Basic with a token from GetAuthorizationToken). Repositories must exist before a push,
as on ECR. Blob uploads (monolithic, chunked, cross-repository mount), manifests by tag or
digest, tag lists and the catalog are served; digests are verified on upload.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid

from werkzeug.wrappers import Request, Response

from ..protocol.errors import AWSError
from .models import ECRModel, Repository

_ROUTE = re.compile(r"^/v2/(?P<name>.+?)/(?P<kind>blobs/uploads|blobs|manifests|tags)(?:/(?P<ref>[^/]*))?/?$")
MANIFEST_TYPES = ("application/vnd.docker.distribution.manifest.v2+json",
                  "application/vnd.docker.distribution.manifest.list.v2+json",
                  "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json")
CHUNK = 1 << 20


def _error(status: int, code: str, message: str, **headers: str) -> Response:
    body = json.dumps({"errors": [{"code": code, "message": message, "detail": {}}]})
    return Response(body, status, content_type="application/json", headers=headers)


def _unauthorized(host: str) -> Response:
    return _error(401, "UNAUTHORIZED", "authentication required",
                  **{"WWW-Authenticate": f'Basic realm="http://{host}/",service="ecr.amazonaws.com"'})


class Registry:
    """Handles ``/v2/`` requests."""

    def __init__(self, model: ECRModel) -> None:
        self.model = model

    def __call__(self, request: Request) -> Response:
        if not self.model.check_basic(request.headers.get("Authorization")):
            return _unauthorized(request.host)
        headers = {"Docker-Distribution-API-Version": "registry/2.0"}
        if request.path.rstrip("/") == "/v2":
            return Response("{}", 200, content_type="application/json", headers=headers)
        if request.path == "/v2/_catalog":
            names = sorted(self.model.repositories)
            return Response(json.dumps({"repositories": names}), 200, content_type="application/json", headers=headers)
        match = _ROUTE.match(request.path)
        if match is None:
            return _error(404, "NOT_FOUND", "no such registry route")
        try:
            repo = self.model.get(match["name"])
        except AWSError as exc:
            return _error(404, "NAME_UNKNOWN", exc.message)
        kind, ref = match["kind"], match["ref"] or ""
        try:
            if kind == "blobs":
                response = self._blob(request, ref)
            elif kind == "blobs/uploads":
                response = self._upload(request, repo, ref)
            elif kind == "manifests":
                response = self._manifest(request, repo, ref)
            else:
                response = self._tags(repo)
        except ValueError as exc:
            response = _error(400, "DIGEST_INVALID", str(exc))
        except AWSError as exc:
            response = _error(400, "TAG_INVALID", exc.message)
        response.headers.update(headers)
        return response

    # blobs ------------------------------------------------------------------------------

    def _blob(self, request: Request, digest: str) -> Response:
        if not self.model.has_blob(digest):
            return _error(404, "BLOB_UNKNOWN", "blob unknown to registry")
        path = self.model.blob_path(digest)
        size = path.stat().st_size
        headers = {"Docker-Content-Digest": digest, "Content-Length": str(size)}
        if request.method == "HEAD":
            return Response(b"", 200, content_type="application/octet-stream", headers=headers)
        if request.method == "DELETE":
            return _error(405, "UNSUPPORTED", "blob deletion is not supported; delete images instead")

        def stream():  # type: ignore[no-untyped-def]
            with path.open("rb") as f:
                while chunk := f.read(CHUNK):
                    yield chunk

        return Response(stream(), 200, content_type="application/octet-stream", headers=headers,
                        direct_passthrough=True)

    def _upload_path(self, upload_id: str):  # type: ignore[no-untyped-def]
        if not re.fullmatch(r"[0-9a-f-]{36}", upload_id):
            raise ValueError("invalid upload id")
        return self.model.root / "uploads" / upload_id

    def _upload(self, request: Request, repo: Repository, upload_id: str) -> Response:
        if request.method == "POST" and not upload_id:
            mount = request.args.get("mount")
            if mount and self.model.has_blob(mount):
                return Response(b"", 201, headers={"Location": f"/v2/{repo.name}/blobs/{mount}",
                                                   "Docker-Content-Digest": mount})
            upload_id = str(uuid.uuid4())
            path = self._upload_path(upload_id)
            path.write_bytes(b"")
            digest = request.args.get("digest")
            if digest:
                self._append(path, request)
                return self._commit(repo, path, digest)
            return self._progress(repo, upload_id, 202)
        path = self._upload_path(upload_id)
        if not path.exists():
            return _error(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
        if request.method == "PATCH":
            self._append(path, request)
            return self._progress(repo, upload_id, 202)
        if request.method == "PUT":
            self._append(path, request)
            return self._commit(repo, path, request.args.get("digest", ""))
        if request.method == "DELETE":
            path.unlink()
            return Response(b"", 204)
        return self._progress(repo, upload_id, 204)

    def _append(self, path, request: Request) -> None:  # type: ignore[no-untyped-def]
        with path.open("ab") as f:
            while chunk := request.stream.read(CHUNK):
                f.write(chunk)

    def _progress(self, repo: Repository, upload_id: str, status: int) -> Response:
        size = self._upload_path(upload_id).stat().st_size
        return Response(b"", status, headers={"Location": f"/v2/{repo.name}/blobs/uploads/{upload_id}",
                                              "Range": f"0-{max(size - 1, 0)}", "Docker-Upload-UUID": upload_id})

    def _commit(self, repo: Repository, path, digest: str) -> Response:  # type: ignore[no-untyped-def]
        target = self.model.blob_path(digest)
        sha = hashlib.sha256()
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                sha.update(chunk)
        if "sha256:" + sha.hexdigest() != digest:
            path.unlink()
            return _error(400, "DIGEST_INVALID", "provided digest did not match uploaded content")
        os.replace(path, target)
        return Response(b"", 201, headers={"Location": f"/v2/{repo.name}/blobs/{digest}",
                                           "Docker-Content-Digest": digest})

    # manifests and tags -----------------------------------------------------------------

    def _manifest(self, request: Request, repo: Repository, reference: str) -> Response:
        if request.method == "PUT":
            media_type = request.mimetype or json.loads(request.get_data() or b"{}").get("mediaType", "")
            if media_type not in MANIFEST_TYPES:
                return _error(400, "MANIFEST_INVALID", f"unsupported manifest media type {media_type!r}")
            body = request.get_data()
            self._check_references(body)
            digest = self.model.put_manifest(repo, reference, media_type, body)
            return Response(b"", 201, headers={"Location": f"/v2/{repo.name}/manifests/{digest}",
                                               "Docker-Content-Digest": digest})
        manifest = self.model.resolve(repo, reference)
        if manifest is None:
            return _error(404, "MANIFEST_UNKNOWN", f"manifest unknown: {reference}")
        if request.method == "DELETE":
            self.model.delete_manifest(repo, manifest)
            return Response(b"", 202)
        body = self.model.blob_path(manifest.digest).read_bytes()
        headers = {"Docker-Content-Digest": manifest.digest, "Content-Length": str(len(body))}
        return Response(b"" if request.method == "HEAD" else body, 200, content_type=manifest.media_type,
                        headers=headers)

    def _check_references(self, body: bytes) -> None:
        """Every blob an image manifest names must have been uploaded (ECR refuses dangling layers)."""
        parsed = json.loads(body)
        for item in [parsed.get("config") or {}, *parsed.get("layers", [])]:
            digest = item.get("digest")
            if digest and not self.model.has_blob(digest):
                raise ValueError(f"blob {digest} named by the manifest was not uploaded")

    def _tags(self, repo: Repository) -> Response:
        return Response(json.dumps({"name": repo.name, "tags": sorted(repo.tag_index)}), 200,
                        content_type="application/json")
