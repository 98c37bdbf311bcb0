"""Repositories, their images (manifests by digest, tags) and content-addressed blobs on disk."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..arns import account_id, arn
from ..protocol.errors import AWSError
from ..state import Changes

NAME = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")
TOKEN_LIFETIME = 12 * 3600


@dataclass
class ImageManifest:
    """One pushed manifest of a repository."""

    digest: str
    media_type: str
    size: int
    pushed_at: float
    tags: list[str] = field(default_factory=list)
    layers_size: int = 0


@dataclass
class Repository:
    """An ECR repository."""

    name: str
    region: str
    created_at: float
    tag_mutability: str = "MUTABLE"
    tags: list[dict[str, str]] = field(default_factory=list)
    manifests: dict[str, ImageManifest] = field(default_factory=dict)
    tag_index: dict[str, str] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        """The repository ARN."""
        return arn("ecr", self.region, f"repository/{self.name}")


class ECRModel:
    """Repositories of the simulated registry and the blobs behind them."""

    def __init__(self, changes: Changes, root: Path) -> None:
        self.lock = threading.RLock()
        self.changed = changes
        self.root = root
        (root / "blobs").mkdir(parents=True, exist_ok=True)
        (root / "uploads").mkdir(parents=True, exist_ok=True)
        self.repositories: dict[str, Repository] = {}
        self.tokens: dict[str, float] = {}

    # repositories -----------------------------------------------------------------------

    def create(self, region: str, name: str, mutability: str, tags: list[dict[str, str]]) -> Repository:
        """A new repository; AWS refuses bad names and existing ones."""
        if not NAME.match(name) or len(name) > 256:
            raise AWSError("InvalidParameterException", f"Invalid parameter at 'repositoryName' failed to satisfy "
                           f"constraint: 'must satisfy regular expression '{NAME.pattern}''")
        with self.lock:
            if name in self.repositories:
                raise AWSError("RepositoryAlreadyExistsException", f"The repository with name '{name}' already "
                               f"exists in the registry with id '{account_id()}'")
            repo = Repository(name, region, time.time(), mutability, list(tags))
            self.repositories[name] = repo
            self.changed.touch()
            return repo

    def get(self, name: str) -> Repository:
        """The repository, or RepositoryNotFoundException."""
        repo = self.repositories.get(name)
        if repo is None:
            raise AWSError("RepositoryNotFoundException", f"The repository with name '{name}' does not exist in "
                           f"the registry with id '{account_id()}'")
        return repo

    def delete(self, name: str, force: bool) -> Repository:
        """Delete a repository; one with images needs ``force``."""
        with self.lock:
            repo = self.get(name)
            if repo.manifests and not force:
                raise AWSError("RepositoryNotEmptyException", f"The repository with name '{name}' in registry with "
                               f"id '{account_id()}' cannot be deleted because it still contains images")
            del self.repositories[name]
            self.changed.touch()
            return repo

    # blobs and manifests ----------------------------------------------------------------

    def blob_path(self, digest: str) -> Path:
        """Where a blob with this digest is (or would be) stored."""
        algo, _, hexpart = digest.partition(":")
        if algo != "sha256" or not re.fullmatch(r"[0-9a-f]{64}", hexpart):
            raise ValueError(f"unsupported digest {digest!r}")
        return self.root / "blobs" / hexpart

    def has_blob(self, digest: str) -> bool:
        """Whether the blob is stored."""
        try:
            return self.blob_path(digest).exists()
        except ValueError:
            return False

    def put_manifest(self, repo: Repository, reference: str, media_type: str, body: bytes) -> str:
        """Store a manifest under its digest, and tag it unless ``reference`` is a digest."""
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        if reference.startswith("sha256:") and reference != digest:
            raise ValueError("the manifest's digest does not match the reference")
        path = self.blob_path(digest)
        path.write_bytes(body)
        layers_size = 0
        try:
            parsed = json.loads(body)
            layers_size = sum(int(item.get("size", 0)) for item in parsed.get("layers", []))
        except (ValueError, AttributeError):
            pass
        with self.lock:
            manifest = repo.manifests.get(digest) or ImageManifest(digest, media_type, len(body), time.time(),
                                                                   layers_size=layers_size)
            repo.manifests[digest] = manifest
            if not reference.startswith("sha256:"):
                previous = repo.tag_index.get(reference)
                if previous and previous != digest and repo.tag_mutability == "IMMUTABLE":
                    raise AWSError("ImageTagAlreadyExistsException", f"The image tag '{reference}' already exists "
                                   f"in the '{repo.name}' repository and cannot be overwritten because the "
                                   "repository is immutable.")
                if previous and previous in repo.manifests:
                    repo.manifests[previous].tags = [t for t in repo.manifests[previous].tags if t != reference]
                repo.tag_index[reference] = digest
                if reference not in manifest.tags:
                    manifest.tags.append(reference)
            manifest.pushed_at = time.time()
            self.changed.touch()
        return digest

    def resolve(self, repo: Repository, reference: str) -> ImageManifest | None:
        """A manifest by tag or digest."""
        digest = reference if reference.startswith("sha256:") else repo.tag_index.get(reference)
        return repo.manifests.get(digest) if digest else None

    def delete_manifest(self, repo: Repository, manifest: ImageManifest) -> None:
        """Remove a manifest and its tags from the repository (blobs stay: they may be shared)."""
        with self.lock:
            for tag in manifest.tags:
                repo.tag_index.pop(tag, None)
            repo.manifests.pop(manifest.digest, None)
            self.changed.touch()

    # auth -------------------------------------------------------------------------------

    def issue_token(self) -> tuple[str, float]:
        """A new registry password for user ``AWS`` and its expiry."""
        expires = time.time() + TOKEN_LIFETIME
        password = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[password] = expires
            self.changed.touch()
        return password, expires

    def check_basic(self, header: str | None) -> bool:
        """Whether an ``Authorization: Basic`` header carries ``AWS:<a token we issued>`` still valid."""
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        expires = self.tokens.get(password)
        return user == "AWS" and expires is not None and expires > time.time()

    # snapshots --------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Repositories, manifests, tags and tokens (blobs are files already)."""
        with self.lock:
            return {"repositories": [asdict(r) for r in self.repositories.values()], "tokens": self.tokens}

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with a snapshot."""
        with self.lock:
            self.repositories = {}
            for raw in data.get("repositories", []):
                manifests = {d: ImageManifest(**m) for d, m in raw.pop("manifests").items()}
                repo = Repository(**raw, manifests=manifests)
                self.repositories[repo.name] = repo
            self.tokens = data.get("tokens", {})
