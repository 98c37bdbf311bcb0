"""ECR: repositories through the aws CLI, images pushed with skopeo and pulled by a real dockerd."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import urllib.error
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError


def aws(sim, *args: str) -> dict:
    out = subprocess.run(["aws", "--endpoint-url", sim.endpoint, "--output", "json", *args], capture_output=True,
                         text=True, timeout=120, env=sim.env())
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if out.stdout.strip().startswith("{") else {"text": out.stdout.strip()}


def password(sim) -> str:
    token = sim.client("ecr").get_authorization_token()["authorizationData"][0]["authorizationToken"]
    user, _, secret = base64.b64decode(token).decode().partition(":")
    assert user == "AWS"
    return secret


def test_push_with_skopeo_describe_with_cli_pull_with_dockerd(sim, services, tmp_path) -> None:
    name = f"sl/app-{uuid.uuid4().hex[:6]}"
    repo = aws(sim, "ecr", "create-repository", "--repository-name", name)["repository"]
    assert repo["repositoryUri"] == f"127.0.0.1:{sim.port}/{name}"
    secret = aws(sim, "ecr", "get-login-password")["text"]
    copy = subprocess.run(["skopeo", "copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--dest-creds",
                           f"AWS:{secret}", f"docker://{services['registry']}/library/alpine:latest",
                           f"docker://{repo['repositoryUri']}:v1"], capture_output=True, text=True, timeout=300)
    assert copy.returncode == 0, copy.stderr
    details = aws(sim, "ecr", "describe-images", "--repository-name", name)["imageDetails"]
    assert details[0]["imageTags"] == ["v1"] and details[0]["imageSizeInBytes"] > 100_000
    digest = details[0]["imageDigest"]
    env = {**os.environ, "DOCKER_HOST": services["docker_host"], "DOCKER_CONFIG": str(tmp_path)}
    login = subprocess.run(["docker", "login", "-u", "AWS", "--password-stdin", f"127.0.0.1:{sim.port}"],
                           input=secret, capture_output=True, text=True, env=env, timeout=60)
    assert login.returncode == 0, login.stderr
    pull = subprocess.run(["docker", "pull", f"{repo['repositoryUri']}:v1"], capture_output=True, text=True,
                          env=env, timeout=300)
    assert pull.returncode == 0, pull.stderr
    assert digest in pull.stdout
    run = subprocess.run(["docker", "run", "--rm", "--network", "none", f"{repo['repositoryUri']}:v1", "echo", "ok"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.stdout == "ok\n", run.stderr
    subprocess.run(["docker", "rmi", f"{repo['repositoryUri']}:v1"], capture_output=True, env=env, timeout=60)
    ecr = sim.client("ecr")
    got = ecr.batch_get_image(repositoryName=name, imageIds=[{"imageTag": "v1"}, {"imageTag": "nope"}])
    assert [i["imageId"]["imageDigest"] for i in got["images"]] == [digest]
    assert json.loads(got["images"][0]["imageManifest"])["schemaVersion"] == 2
    assert [f["failureCode"] for f in got["failures"]] == ["ImageNotFound"]
    deleted = ecr.batch_delete_image(repositoryName=name, imageIds=[{"imageTag": "v1"}])
    assert deleted["imageIds"] == [{"imageDigest": digest, "imageTag": "v1"}]
    assert ecr.describe_images(repositoryName=name)["imageDetails"] == []


def test_registry_requires_an_ecr_token(sim) -> None:
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(f"{sim.endpoint}/v2/", timeout=10)
    assert exc.value.code == 401 and "Basic" in exc.value.headers["WWW-Authenticate"]
    request = urllib.request.Request(f"{sim.endpoint}/v2/",
                                     headers={"Authorization": "Basic " + base64.b64encode(b"AWS:wrong").decode()})
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(request, timeout=10)
    assert exc.value.code == 401


def test_push_to_missing_repository_is_refused(sim, services) -> None:
    copy = subprocess.run(["skopeo", "copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--dest-creds",
                           f"AWS:{password(sim)}", f"docker://{services['registry']}/library/busybox:latest",
                           f"docker://127.0.0.1:{sim.port}/missing/repo:v1"], capture_output=True, text=True,
                          timeout=300)
    assert copy.returncode != 0
    assert "does not exist" in copy.stderr or "NAME_UNKNOWN" in copy.stderr or "name unknown" in copy.stderr


def test_repository_lifecycle_errors(sim) -> None:
    ecr = sim.client("ecr")
    name = f"life-{uuid.uuid4().hex[:6]}"
    ecr.create_repository(repositoryName=name, tags=[{"Key": "owner", "Value": "sl"}])
    with pytest.raises(ClientError) as exc:
        ecr.create_repository(repositoryName=name)
    assert exc.value.response["Error"]["Code"] == "RepositoryAlreadyExistsException"
    arn = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]["repositoryArn"]
    assert ecr.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "owner", "Value": "sl"}]
    ecr.delete_repository(repositoryName=name)
    with pytest.raises(ClientError) as exc:
        ecr.describe_repositories(repositoryNames=[name])
    assert exc.value.response["Error"]["Code"] == "RepositoryNotFoundException"
    with pytest.raises(ClientError) as exc:
        ecr.create_repository(repositoryName="Bad_Name")
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
