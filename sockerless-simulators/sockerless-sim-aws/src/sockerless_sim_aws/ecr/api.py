"""ECR control-plane operations over :class:`ECRModel`.

``repositoryUri`` and ``proxyEndpoint`` name the simulator's own registry endpoint
(``127.0.0.1:PORT``), since ``ACCOUNT.dkr.ecr.REGION.amazonaws.com`` cannot resolve here.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from ..arns import account_id
from ..protocol.errors import AWSError
from ..protocol.json11 import JsonService, required
from .models import ECRModel, ImageManifest, Repository

TARGET = "AmazonEC2ContainerRegistry_V20150921"


class ECRAPI:
    """The simulated ECR operations; ``registry_host`` gives ``host:port`` of the /v2/ endpoint."""

    def __init__(self, model: ECRModel, registry_host: Callable[[], str]) -> None:
        self.model = model
        self.registry_host = registry_host

    def service(self) -> JsonService:
        """The JSON 1.1 dispatcher."""
        ops = {"CreateRepository": self.create_repository, "DescribeRepositories": self.describe_repositories,
               "DeleteRepository": self.delete_repository, "GetAuthorizationToken": self.get_authorization_token,
               "DescribeImages": self.describe_images, "ListImages": self.list_images,
               "BatchGetImage": self.batch_get_image, "BatchDeleteImage": self.batch_delete_image,
               "TagResource": self.tag_resource, "UntagResource": self.untag_resource,
               "ListTagsForResource": self.list_tags_for_resource}
        return JsonService(TARGET, ops)

    def _view(self, repo: Repository) -> dict[str, Any]:
        return {"repositoryArn": repo.arn, "registryId": account_id(), "repositoryName": repo.name,
                "repositoryUri": f"{self.registry_host()}/{repo.name}", "createdAt": round(repo.created_at, 3),
                "imageTagMutability": repo.tag_mutability,
                "imageScanningConfiguration": {"scanOnPush": False},
                "encryptionConfiguration": {"encryptionType": "AES256"}}

    def create_repository(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        repo = self.model.create(region, required(body, "repositoryName"), body.get("imageTagMutability", "MUTABLE"),
                                 body.get("tags") or [])
        return {"repository": self._view(repo)}

    def describe_repositories(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        names = body.get("repositoryNames")
        repos = [self.model.get(n) for n in names] if names else sorted(self.model.repositories.values(),
                                                                         key=lambda r: r.name)
        return {"repositories": [self._view(r) for r in repos]}

    def delete_repository(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        repo = self.model.delete(required(body, "repositoryName"), bool(body.get("force")))
        return {"repository": self._view(repo)}

    def get_authorization_token(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        password, expires = self.model.issue_token()
        token = base64.b64encode(f"AWS:{password}".encode()).decode()
        return {"authorizationData": [{"authorizationToken": token, "expiresAt": round(expires, 3),
                                       "proxyEndpoint": f"http://{self.registry_host()}"}]}

    def _detail(self, repo: Repository, manifest: ImageManifest) -> dict[str, Any]:
        detail: dict[str, Any] = {"registryId": account_id(), "repositoryName": repo.name,
                                  "imageDigest": manifest.digest, "imageSizeInBytes": manifest.layers_size,
                                  "imagePushedAt": round(manifest.pushed_at, 3),
                                  "imageManifestMediaType": manifest.media_type}
        if manifest.tags:
            detail["imageTags"] = list(manifest.tags)
        return detail

    def _selected(self, repo: Repository, image_ids: list[dict[str, str]] | None) -> list[ImageManifest]:
        if not image_ids:
            return list(repo.manifests.values())
        found = []
        for image_id in image_ids:
            manifest = self.model.resolve(repo, image_id.get("imageDigest") or image_id.get("imageTag", ""))
            if manifest is None:
                raise AWSError("ImageNotFoundException", f"The image with imageId {image_id} does not exist within "
                               f"the repository with name '{repo.name}' in the registry with id '{account_id()}'")
            found.append(manifest)
        return found

    def describe_images(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        repo = self.model.get(required(body, "repositoryName"))
        manifests = self._selected(repo, body.get("imageIds"))
        status = (body.get("filter") or {}).get("tagStatus", "ANY")
        if status == "TAGGED":
            manifests = [m for m in manifests if m.tags]
        elif status == "UNTAGGED":
            manifests = [m for m in manifests if not m.tags]
        return {"imageDetails": [self._detail(repo, m) for m in manifests]}

    def list_images(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        repo = self.model.get(required(body, "repositoryName"))
        ids = []
        for manifest in repo.manifests.values():
            ids += [{"imageDigest": manifest.digest, "imageTag": t} for t in manifest.tags] or \
                [{"imageDigest": manifest.digest}]
        return {"imageIds": ids}

    def _found(self, repo: Repository, image_ids: list[dict[str, str]]
               ) -> tuple[list[tuple[dict[str, str], ImageManifest]], list[dict[str, Any]]]:
        """The image ids that resolve, with their manifests, and batch failures for the rest."""
        found, failures = [], []
        for image_id in image_ids:
            manifest = self.model.resolve(repo, image_id.get("imageDigest") or image_id.get("imageTag", ""))
            if manifest is None:
                failures.append({"imageId": image_id, "failureCode": "ImageNotFound",
                                 "failureReason": "Requested image not found"})
            else:
                found.append((image_id, manifest))
        return found, failures

    def batch_get_image(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        repo = self.model.get(required(body, "repositoryName"))
        images = []
        found, failures = self._found(repo, required(body, "imageIds"))
        for image_id, manifest in found:
            images.append({"registryId": account_id(), "repositoryName": repo.name,
                           "imageId": {"imageDigest": manifest.digest, **({"imageTag": image_id["imageTag"]}
                                                                          if image_id.get("imageTag") else {})},
                           "imageManifest": self.model.blob_path(manifest.digest).read_text(),
                           "imageManifestMediaType": manifest.media_type})
        return {"images": images, "failures": failures}

    def batch_delete_image(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        repo = self.model.get(required(body, "repositoryName"))
        deleted = []
        found, failures = self._found(repo, required(body, "imageIds"))
        for image_id, manifest in found:
            tag = image_id.get("imageTag")
            if tag and not image_id.get("imageDigest") and len(manifest.tags) > 1:
                with self.model.lock:
                    manifest.tags.remove(tag)
                    repo.tag_index.pop(tag, None)
                    self.model.changed.touch()
            else:
                self.model.delete_manifest(repo, manifest)
            deleted.append({"imageDigest": manifest.digest, **({"imageTag": tag} if tag else {})})
        return {"imageIds": deleted, "failures": failures}

    def _repo_by_arn(self, resource_arn: str) -> Repository:
        return self.model.get(resource_arn.split(":repository/", 1)[-1])

    def tag_resource(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        repo = self._repo_by_arn(required(body, "resourceArn"))
        current = {t["Key"]: t["Value"] for t in repo.tags} | {t["Key"]: t["Value"] for t in body.get("tags") or []}
        repo.tags = [{"Key": k, "Value": v} for k, v in current.items()]
        self.model.changed.touch()
        return {}

    def untag_resource(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        repo = self._repo_by_arn(required(body, "resourceArn"))
        repo.tags = [t for t in repo.tags if t["Key"] not in (body.get("tagKeys") or [])]
        self.model.changed.touch()
        return {}

    def list_tags_for_resource(self, body: dict[str, Any], region: str) -> dict[str, Any]:
        return {"tags": list(self._repo_by_arn(required(body, "resourceArn")).tags)}
