"""docker-py 7.2 against the lambda backend."""

from __future__ import annotations

import io
import tarfile
import time

import docker as docker_py
import pytest
from imagekit import layer_tar
from lambda_support import function_names


@pytest.fixture
def client(lambdad):
    c = docker_py.DockerClient(base_url=lambdad.host, timeout=120)
    yield c
    c.close()


def test_run_returns_output_and_raises_on_a_failing_exit(client):
    output = client.containers.run("alpine", ["sh", "-c", "echo out; echo err >&2"], remove=True)
    assert sorted(output.splitlines()) == [b"err", b"out"]  # CloudWatch's single stream
    with pytest.raises(docker_py.errors.ContainerError) as failed:
        client.containers.run("alpine", ["sh", "-c", "echo out; echo err >&2; exit 4"], remove=True)
    assert failed.value.exit_status == 4


def test_detached_container_exec_archive_stop_remove(client, aws_sim):
    container = client.containers.run("alpine", ["sleep", "60"], detach=True, environment={"GREETING": "hi"})
    try:
        function = "sockerless-" + container.id[:32]
        assert function in function_names(aws_sim)
        assert container.exec_run(["sh", "-c", "echo from-first-exec > note.txt"]).exit_code == 0
        second = container.exec_run(["sh", "-c", 'cat note.txt; echo "$GREETING"; exit 7'])
        assert (second.exit_code, second.output) == (7, b"from-first-exec\nhi\n")
        split = container.exec_run(["sh", "-c", "echo o; echo e >&2"], demux=True)
        assert split.output == (b"o\n", b"e\n")

        assert container.put_archive("/", layer_tar({"put.txt": b"put through the agent\n"}))
        assert container.exec_run(["cat", "put.txt"]).output == b"put through the agent\n"
        stream, stat = container.get_archive("/note.txt")
        assert stat["name"] == "note.txt" and stat["size"] == len(b"from-first-exec\n")
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            assert tar.extractfile("note.txt").read() == b"from-first-exec\n"

        began = time.monotonic()
        container.stop(timeout=2)
        assert time.monotonic() - began < 15
        assert container.wait(timeout=30)["StatusCode"] == 143
    finally:
        container.remove(force=True)
    assert function not in function_names(aws_sim)


def test_info_names_the_backend_honestly(client):
    info = client.info()
    assert info["Driver"] == "aws-lambda"
    assert info["MemoryLimit"] is True
