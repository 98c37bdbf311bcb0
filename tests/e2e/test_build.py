"""``docker build`` (classic /build endpoint), ``docker commit`` and ``docker diff`` end to end."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import tarfile
import uuid
from pathlib import Path

import pytest


def _context(files: dict[str, str | bytes], mode: str = "w") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as tar:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755 if name.endswith(".sh") else 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _write(directory: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return directory


def _tag() -> str:
    return f"build-test-{uuid.uuid4().hex[:8]}"


def _post_build(daemon, body: bytes, query: str) -> tuple[int, list[dict]]:
    status, _, data = daemon.request("POST", f"/v1.41/build?{query}", body=body,
                                     headers={"Content-Type": "application/x-tar"})
    lines = [json.loads(line) for line in data.split(b"\r\n") if line.strip()] if status == 200 else [json.loads(data)]
    return status, lines


def test_cli_build_multistage_args_copy_and_run(docker, tmp_path: Path) -> None:
    tag = _tag()
    _write(tmp_path, {
        "Dockerfile": (
            "# a comment\n"
            "ARG BASE=busybox\n"
            "FROM $BASE AS builder\n"
            "ARG GREETING=hello\n"
            "WORKDIR /src\n"
            "COPY app/ ./\n"
            "RUN echo \"$GREETING from run\" > out.txt && \\\n"
            "    cat message.txt >> out.txt\n"
            "FROM busybox\n"
            "LABEL org.test.stage=final\n"
            "ENV MODE=prod\n"
            "COPY --from=builder /src/*.txt /result/\n"
            "COPY --chown=1000:1000 --chmod=600 secret.txt /result/secret.txt\n"
            "EXPOSE 8080/tcp\n"
            "USER 1000\n"
            "STOPSIGNAL SIGTERM\n"
            "ENTRYPOINT [\"cat\"]\n"
            "CMD [\"/result/out.txt\"]\n"
        ),
        "app/message.txt": "context file\n",
        "secret.txt": "s3cret\n",
        "ignored.log": "should not be sent\n",
        ".dockerignore": "*.log\n",
    })
    result = docker("build", "--build-arg", "GREETING=hi", "-t", tag, str(tmp_path), timeout=120)
    out = result.stdout.decode()
    assert result.returncode == 0, result.stderr.decode() + out
    assert re.search(r"Step 1/\d+ : ARG BASE=busybox", out)
    assert " ---> Running in " in out and "Successfully built " in out and f"Successfully tagged {tag}:latest" in out
    run = docker("run", "--rm", tag, timeout=60)
    assert run.stdout.decode() == "hi from run\ncontext file\n", run.stderr.decode()
    inspect = json.loads(docker("image", "inspect", tag, check=True).stdout)[0]
    config = inspect["Config"]
    assert config["Labels"]["org.test.stage"] == "final"
    assert "MODE=prod" in config["Env"] and config["User"] == "1000" and config["StopSignal"] == "SIGTERM"
    assert config["ExposedPorts"] == {"8080/tcp": {}} and config["Entrypoint"] == ["cat"]
    listing = docker("run", "--rm", "--entrypoint", "ls", tag, "/result", timeout=60).stdout.split()
    assert listing == [b"message.txt", b"out.txt", b"secret.txt"]  # a glob in COPY --from
    stat = docker("run", "--rm", "--entrypoint", "stat", tag, "-c", "%u:%g %a", "/result/secret.txt", timeout=60)
    assert stat.stdout.decode().strip() == "1000:1000 600", stat.stderr.decode()
    history = json.loads(docker("history", "--format", "{{json .}}", "--no-trunc", tag, check=True).stdout.splitlines()[0])
    assert history["CreatedBy"] == '/bin/sh -c #(nop)  CMD ["/result/out.txt"]'
    ids = [json.loads(line)["ID"] for line in docker("history", "--format", "{{json .}}", tag, check=True).stdout.splitlines()]
    assert "<missing>" not in ids[:10], ids  # every build step's image is known here, as with dockerd
    again = docker("build", "--build-arg", "GREETING=hi", "-t", tag, str(tmp_path), timeout=120).stdout.decode()
    assert again.count(" ---> Using cache") >= 10, again
    assert " ---> Running in " not in again
    (tmp_path / "app" / "message.txt").write_text("changed\n")
    changed = docker("build", "--build-arg", "GREETING=hi", "-t", tag, str(tmp_path), timeout=120).stdout.decode()
    assert "COPY app/ ./\n ---> Using cache" not in changed
    assert docker("run", "--rm", tag, timeout=60).stdout.decode() == "hi from run\nchanged\n"
    docker("rmi", tag)


def test_failing_run_reports_like_dockerd(daemon) -> None:
    body = _context({"Dockerfile": "FROM busybox\nRUN echo before && exit 3\n"})
    status, lines = _post_build(daemon, body, "rm=1&forcerm=1")
    assert status == 200
    assert lines[-1] == {"errorDetail": {"code": 3, "message": "The command '/bin/sh -c echo before && exit 3' "
                                                               "returned a non-zero code: 3"},
                         "error": "The command '/bin/sh -c echo before && exit 3' returned a non-zero code: 3"}
    assert {"stream": "before\n"} in lines


BUILDER_LINES = ("Step ", " ---> ", "Removing intermediate container", "Successfully ")


def test_stream_shape_matches_dockerd(daemon, services) -> None:
    """The same Dockerfile on the real dockerd and on sockerless gives the same bytes, ids aside:
    Go's escaping (``\\u003e``), CRLF framing, the step lines, first built and then from the cache."""
    dockerfile = (f"FROM busybox\nENV A={uuid.uuid4().hex}\nRUN echo out && echo '<b>'\nCOPY f /f\n"
                  "CMD [\"sh\"]\n")
    body = _context({"Dockerfile": dockerfile, "f": "x\n"})

    def real_build() -> bytes:
        return subprocess.run(
            ["curl", "-s", "--unix-socket", services["docker_host"].removeprefix("unix://"), "-X", "POST",
             "-H", "Content-Type: application/x-tar", "--data-binary", "@-",
             "http://x/v1.41/build?rm=1&networkmode=none"], input=body, capture_output=True, timeout=120,
            check=True).stdout

    def ours() -> bytes:
        status, _, data = daemon.request("POST", "/v1.41/build?rm=1", body=body,
                                         headers={"Content-Type": "application/x-tar"})
        assert status == 200
        return data

    def masked(raw: bytes) -> list[bytes | str]:
        """The messages with ids masked; a RUN's output is one text, since how the engine splits a
        command's output into messages depends on timing (dockerd sends ``out`` and ``<b>`` apart or
        together)."""
        shape: list[bytes | str] = []
        for line in re.sub(rb"[0-9a-f]{12,64}", b"<id>", raw).split(b"\r\n"):
            text = json.loads(line).get("stream") if line else None
            if text is None or text.startswith(BUILDER_LINES):
                shape.append(line)
            elif shape and isinstance(shape[-1], str):
                shape[-1] += text
            else:
                shape.append(text)
        return shape

    real_first, real_cached = real_build(), real_build()
    first = ours()
    assert masked(first) == masked(real_first)
    assert masked(ours()) == masked(real_cached)
    assert b" ---\\u003e Using cache" in real_cached and b"\\u003cb\\u003e" in real_first
    assert b"\\u003cb\\u003e" in first  # Go's escaping of <, > in the output text too
    image = json.loads(real_first.split(b"\r\n")[-3])["aux"]["ID"]
    subprocess.run(["docker", "-H", services["docker_host"], "rmi", image], capture_output=True, timeout=60)


def test_docker_py_build_low_level_stream_and_high_level(client, daemon) -> None:
    tag = _tag()
    body = _context({"Dockerfile": "FROM busybox\nARG V=1\nRUN echo v=$V > /v\nHEALTHCHECK --interval=5s CMD true\n"
                                   "ONBUILD RUN echo triggered > /trigger\n"}, mode="w:gz")
    chunks = list(client.api.build(fileobj=io.BytesIO(body), custom_context=True, encoding="gzip", tag=tag,
                                   buildargs={"V": "2"}, labels={"built.by": "test"}, decode=True, rm=True))
    assert any("aux" in c for c in chunks), chunks
    image = client.images.get(tag)
    assert image.labels["built.by"] == "test"
    assert image.attrs["Config"]["Healthcheck"]["Test"] == ["CMD-SHELL", "true"]
    assert image.attrs["Config"]["Healthcheck"]["Interval"] == 5_000_000_000
    assert client.containers.run(tag, "cat /v", remove=True) == b"v=2\n"
    child, logs = client.images.build(fileobj=io.BytesIO(f"FROM {tag}\n".encode()), tag=tag + "-child", rm=True)
    assert any("Executing 1 build trigger" in entry.get("stream", "") for entry in logs)
    assert client.containers.run(child.id, "cat /trigger", remove=True) == b"triggered\n"
    assert child.attrs["Config"]["OnBuild"] in (None, [])
    from docker.errors import BuildError
    with pytest.raises(BuildError, match="returned a non-zero code: 7"):
        client.images.build(fileobj=io.BytesIO(b"FROM busybox\nRUN exit 7\n"), forcerm=True)
    client.images.remove(tag + "-child")
    client.images.remove(tag)


def test_target_dockerfile_path_and_add_archive(docker, tmp_path: Path) -> None:
    tag = _tag()
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        info = tarfile.TarInfo("pkg/inside.txt")
        data = b"from the archive\n"
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    _write(tmp_path, {
        "build/Custom.dockerfile": "FROM busybox AS first\nADD bundle.tgz /opt/\nRUN test -f /opt/pkg/inside.txt\n"
                                   "FROM busybox AS second\nRUN exit 1\n",
        "bundle.tgz": archive.getvalue(),
    })
    result = docker("build", "-q", "-f", str(tmp_path / "build/Custom.dockerfile"), "--target", "first", "-t", tag,
                    str(tmp_path), timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    assert re.fullmatch(rb"sha256:[0-9a-f]{64}\n", result.stdout), result.stdout
    out = docker("run", "--rm", tag, "cat", "/opt/pkg/inside.txt", timeout=60)
    assert out.stdout == b"from the archive\n", out.stderr.decode()
    docker("rmi", tag)


def test_bad_dockerfile_is_an_http_error(daemon) -> None:
    status, lines = _post_build(daemon, _context({"Dockerfile": "FROM busybox\nNOPE x\n"}), "")
    assert status == 400 and "unknown instruction: NOPE" in lines[0]["message"]
    status, lines = _post_build(daemon, _context({"other": "x"}), "")
    assert status == 400 and "Cannot locate specified Dockerfile" in lines[0]["message"]


def test_diff_and_commit(docker, name: str) -> None:
    run = docker("run", "--name", name, "busybox", "sh", "-c",
                 "mkdir -p /tmp/a && echo x > /tmp/a/f && rm /bin/ls && echo y >> /etc/passwd", timeout=60)
    assert run.returncode == 0, run.stderr.decode()
    diff = docker("diff", name, check=True).stdout.decode().splitlines()
    assert set(diff) == {"C /bin", "D /bin/ls", "C /tmp", "A /tmp/a", "A /tmp/a/f", "C /etc", "C /etc/passwd"}, diff
    tag = _tag()
    commit = docker("commit", "-c", "ENV Z=1", "-c", "CMD [\"cat\", \"/tmp/a/f\"]", "-m", "msg", "-a", "me", name, tag)
    assert commit.returncode == 0, commit.stderr.decode()
    out = docker("run", "--rm", tag, timeout=60)
    assert out.stdout == b"x\n", out.stderr.decode()
    missing = docker("run", "--rm", tag, "ls", timeout=60)
    assert missing.returncode != 0
    inspect = json.loads(docker("image", "inspect", tag, check=True).stdout)[0]
    assert "Z=1" in inspect["Config"]["Env"] and inspect["Author"] == "me" and inspect["Comment"] == "msg"
    assert len(inspect["RootFS"]["Layers"]) >= 2
    fresh = docker("create", "busybox", "true", check=True).stdout.decode().strip()
    assert docker("diff", fresh, check=True).stdout == b""
    docker("rm", name, fresh)
    docker("rmi", tag)


def test_server_applies_dockerignore_with_exceptions(daemon, docker) -> None:
    """A raw API client sends everything; the daemon leaves out what .dockerignore says."""
    tag = _tag()
    body = _context({
        "Dockerfile": "FROM busybox\nCOPY . /ctx/\n",
        ".dockerignore": "docs\n!docs/README.md\n**/*.tmp\nsecret*\n",
        "docs/README.md": "keep", "docs/guide.md": "drop", "a/b/c.tmp": "drop", "a/b/keep.txt": "keep",
        "secret.key": "drop",
    })
    status, lines = _post_build(daemon, body, f"t={tag}")
    assert status == 200 and not any("error" in m for m in lines), lines
    listing = docker("run", "--rm", tag, "find", "/ctx", "-type", "f", timeout=60).stdout.decode().split()
    assert sorted(listing) == ["/ctx/.dockerignore", "/ctx/Dockerfile", "/ctx/a/b/keep.txt", "/ctx/docs/README.md"]
    docker("rmi", tag)


def test_add_url_heredoc_scratch_tags_and_nocache(daemon, docker, tmp_path: Path) -> None:
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"downloaded\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        first, second = _tag(), _tag()
        url = f"http://127.0.0.1:{server.server_address[1]}/files/data.txt"
        _write(tmp_path, {"Dockerfile": (
            "FROM busybox\n"
            f"ADD {url} /fetched/\n"
            "COPY <<EOF /etc/motd\nhello heredoc\nEOF\n"
            "RUN <<EOF\nset -e\necho from-heredoc > /ran\nEOF\n"
        )})
        built = docker("build", "-t", first, "-t", second, str(tmp_path), timeout=120)
        out = built.stdout.decode()
        assert built.returncode == 0, built.stderr.decode() + out
        assert f"Successfully tagged {first}:latest" in out and f"Successfully tagged {second}:latest" in out
        shown = docker("run", "--rm", second, "sh", "-c", "cat /fetched/data.txt /etc/motd /ran; "
                       "stat -c '%a %Y' /fetched/data.txt", timeout=60).stdout.decode()
        assert shown == "downloaded\nhello heredoc\nfrom-heredoc\n600 1445412480\n"
        again = docker("build", "--no-cache", "-t", first, str(tmp_path), timeout=120).stdout.decode()
        assert "Using cache" not in again
        assert "Using cache" in docker("build", "-t", first, str(tmp_path), timeout=120).stdout.decode()
        pruned = docker("builder", "prune", "-f")
        assert pruned.returncode == 0, pruned.stderr.decode()
        assert "Using cache" not in docker("build", "-t", first, str(tmp_path), timeout=120).stdout.decode()
        docker("rmi", first, second)
    finally:
        server.shutdown()
    scratch = _tag()
    _write(tmp_path, {"Dockerfile": "FROM scratch\nCOPY only.txt /\nCMD [\"/only.txt\"]\n", "only.txt": "alone\n"})
    built = docker("build", "-t", scratch, str(tmp_path), timeout=120)
    assert built.returncode == 0, built.stderr.decode()
    inspect = json.loads(docker("image", "inspect", scratch, check=True).stdout)[0]
    assert len(inspect["RootFS"]["Layers"]) == 1 and inspect["Config"]["Cmd"] == ["/only.txt"]
    docker("rmi", scratch)


def test_commit_running_container_pauses_and_applies_config(client) -> None:
    container = client.containers.run("busybox", ["sh", "-c", "echo data > /state; sleep 60"], detach=True)
    try:
        import time
        for _ in range(100):
            if client.api.diff(container.id):
                break
            time.sleep(0.05)
        image = container.commit(repository="build-test-commit", tag="v1", message="snap", author="tester",
                                 changes=["WORKDIR /srv", 'ENTRYPOINT ["cat"]'], conf={"Labels": {"c": "1"}})
        container.reload()
        assert container.status == "running"  # paused for the export, running again
        assert image.attrs["Config"]["WorkingDir"] == "/srv" and image.attrs["Config"]["Labels"]["c"] == "1"
        assert client.containers.run(image.id, "/state", remove=True) == b"data\n"
        history = client.api.history(image.id)
        assert history[0]["Comment"] == "snap" and history[0]["Size"] > 0
        from docker.errors import APIError
        with pytest.raises(APIError, match="run is not a valid change command"):
            container.commit(changes=["RUN true"])
    finally:
        container.remove(force=True)
    client.images.remove("build-test-commit:v1")


def test_dockerfile_from_stdin_and_from_outside_the_context(docker, tmp_path: Path) -> None:
    tag = _tag()
    piped = docker("build", "-t", tag, "-", input=b"FROM busybox\nSHELL [\"/bin/sh\", \"-e\", \"-c\"]\n"
                   b"RUN [\"sh\", \"-c\", \"exit 4\"]\n", timeout=120)
    assert piped.returncode == 4 or piped.returncode == 1
    assert "The command 'sh -c exit 4' returned a non-zero code: 4" in piped.stderr.decode()
    context, elsewhere = _write(tmp_path / "ctx", {"d": "data\n"}), _write(tmp_path / "other", {
        "Build.df": "FROM busybox\nCOPY d /d\nRUN cat /d\n"})
    built = docker("build", "-f", str(elsewhere / "Build.df"), "-t", tag, str(context), timeout=120)
    assert built.returncode == 0, built.stderr.decode()
    assert "data\n" in built.stdout.decode()
    assert not any(line.startswith(b".dockerfile") for line in docker("run", "--rm", tag, "ls", "-a", "/").stdout.split())
    removed = docker("rmi", tag, check=True).stdout.decode()
    assert removed.count("Deleted: ") == 2  # the image and the COPY step's image below it


def test_built_image_pushes_repulls_and_runs_on_dockerd(docker, services, tmp_path: Path, name: str) -> None:
    """A build's RUN and COPY layers are real OCI layers: the registry takes them and a real dockerd runs them."""
    registry = services["registry"]
    docker("pull", f"{registry}/library/busybox:latest", check=True, timeout=120)
    repository = f"{registry}/build-test/built"  # one repository, a tag per run: the shared catalog stays small
    _write(tmp_path, {
        "Dockerfile": (f"FROM {registry}/library/busybox:latest\n"
                       "RUN mkdir /d && echo built by run > /d/f && rm /bin/ls\n"
                       "COPY x /x\n"
                       "CMD [\"sh\", \"-c\", \"cat /d/f /x; test -e /bin/ls || echo ls is gone\"]\n"),
        "x": "from the context\n",
    })
    tag = f"{repository}:{name}"
    built = docker("build", "-t", tag, str(tmp_path), timeout=120)
    assert built.returncode == 0, built.stderr.decode()
    expected = b"built by run\nfrom the context\nls is gone\n"
    assert docker("run", "--rm", tag, timeout=60).stdout == expected
    pushed = docker("push", tag, timeout=120)
    assert pushed.returncode == 0, pushed.stderr.decode()
    digest = pushed.stdout.decode().split(" digest: ")[1].split()[0]
    env = {**os.environ, "DOCKER_HOST": services["docker_host"]}
    subprocess.run(["docker", "pull", tag], env=env, check=True, capture_output=True, timeout=120)
    try:
        ran = subprocess.run(["docker", "run", "--rm", "--network", "none", tag], env=env,
                             capture_output=True, timeout=120)
        assert ran.stdout == expected, ran.stderr.decode()
    finally:
        subprocess.run(["docker", "rmi", tag], env=env, capture_output=True, timeout=60)
    base = f"{registry}/library/busybox:latest"
    base_id = json.loads(docker("image", "inspect", base, check=True).stdout)[0]["Id"]
    untagged = docker("rmi", base, check=True).stdout.decode()
    assert "Untagged: " in untagged and "Deleted" not in untagged  # it has a child: only untagged, as with dockerd
    refused = docker("rmi", base_id)
    assert refused.returncode != 0 and "image has dependent child images" in refused.stderr.decode()
    _write(tmp_path / "from", {"Dockerfile": f"FROM {tag}\nCOPY --from={base} /bin/busybox /copied\n"})
    copied = docker("build", "-q", str(tmp_path / "from"), timeout=120)  # the --from image is pulled again
    assert copied.returncode == 0, copied.stderr.decode()
    assert docker("run", "--rm", copied.stdout.decode().strip(), "test", "-s", "/copied").returncode == 0
    docker("rmi", copied.stdout.decode().strip())
    docker("rmi", tag, check=True)
    docker("pull", tag, check=True, timeout=120)
    inspect = json.loads(docker("image", "inspect", tag, check=True).stdout)[0]
    assert f"{repository}@{digest}" in inspect["RepoDigests"]
    assert docker("run", "--rm", tag, timeout=60).stdout == expected
    docker("rmi", tag)


def test_build_pulls_from_a_private_registry_with_the_cli_credentials(docker, tmp_path: Path, name: str) -> None:
    """``docker build`` sends X-Registry-Config from ``docker login``; the FROM pull uses it."""
    from imagekit import PASSWORD, USER, PrivateRegistry, layer_tar

    private = PrivateRegistry(tmp_path / "registry", htpasswd=True)
    try:
        ref = f"{private.address}/build-test/base-{name}:1"
        docker("import", "-", ref, input=layer_tar({"base": b"private base\n"}, busybox=True), check=True)
        login = docker("login", private.address, "-u", USER, "--password-stdin", input=PASSWORD.encode())
        assert login.returncode == 0, login.stderr.decode()
        docker("push", ref, check=True, timeout=120)
        docker("rmi", ref, check=True)
        _write(tmp_path / "ctx", {"Dockerfile": f"FROM {ref}\nRUN cat /base > /copy\n"})
        tag = _tag()
        built = docker("build", "-t", tag, str(tmp_path / "ctx"), timeout=120)
        assert built.returncode == 0, built.stderr.decode() + built.stdout.decode()
        assert docker("run", "--rm", tag, "cat", "/copy", timeout=60).stdout == b"private base\n"
        docker("logout", private.address)
        docker("rmi", tag, ref)
        refused = docker("build", str(tmp_path / "ctx"), timeout=120)
        assert refused.returncode != 0 and "unauthorized" in refused.stderr.decode().lower()
    finally:
        private.stop()
        docker("logout", private.address)


def test_workdir_creates_its_directory_and_proxy_args_stay_out_of_history(client) -> None:
    tag = _tag()
    dockerfile = b"FROM busybox\nWORKDIR /tmp\nWORKDIR /made/here\nRUN echo $HTTP_PROXY > /proxy\n"
    image, _ = client.images.build(fileobj=io.BytesIO(dockerfile), tag=tag, rm=True,
                                   buildargs={"HTTP_PROXY": "http://proxy.invalid:3128"})
    base = client.images.get("busybox")
    assert len(image.attrs["RootFS"]["Layers"]) == len(base.attrs["RootFS"]["Layers"]) + 2  # WORKDIR /made/here, RUN
    assert client.containers.run(tag, "cat /proxy", remove=True, working_dir="/") == b"http://proxy.invalid:3128\n"
    history = client.api.history(tag)
    assert not any("proxy.invalid" in entry["CreatedBy"] for entry in history)
    workdirs = {e["CreatedBy"].split("WORKDIR ")[1]: e["Size"] for e in history if "WORKDIR" in e["CreatedBy"]}
    assert set(workdirs) == {"/tmp", "/made/here"} and workdirs["/tmp"] == 0
    client.images.remove(tag)


def test_unknown_flags_and_buildkit_only_options_are_refused(daemon) -> None:
    for dockerfile, message in [
        ("FROM busybox\nRUN --mount=type=cache,target=/c true\n", "the --mount option requires BuildKit"),
        ("FROM busybox\nCMD --help\n", "Unknown flag: help"),
        ("FROM --nope=1 busybox\n", "Unknown flag: nope"),
        ("FROM busybox\nCOPY --link a /a\n", "Unknown flag: link"),
    ]:
        status, lines = _post_build(daemon, _context({"Dockerfile": dockerfile, "a": "a"}), "")
        assert status == 200 and message in lines[-1].get("error", ""), (dockerfile, lines)
    status, lines = _post_build(daemon, _context({"Dockerfile": "FROM busybox\n"}), "version=2")
    assert status == 501 and "BuildKit" in lines[0]["message"]
