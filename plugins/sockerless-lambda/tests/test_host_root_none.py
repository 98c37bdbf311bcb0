"""host-root=none: the command runs in the host's filesystem, docker cp sees the container's own directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from lambda_support import container_id, module_daemon


@pytest.fixture(scope="module")
def lambdad(tmp_path_factory, aws_sim, services):
    yield from module_daemon(tmp_path_factory, aws_sim, services["registry"], "lambdad-none",
                             ["--backend-opt", "host-root=none"])


def test_the_host_filesystem_and_a_directory_of_its_own(lambdad, tmp_path):
    d = lambdad
    d.docker("run", "-d", "--name", "on-host", "-w", "/work", "alpine", "sleep", "60", check=True)
    directory = d.data_root / "backends" / "lambda" / "roots" / container_id(d, "on-host")
    assert d.docker("exec", "on-host", "cat", "/etc/hostname").stdout == Path("/etc/hostname").read_bytes()
    d.docker("exec", "on-host", "sh", "-c", "echo relative > made.txt", check=True)
    assert (directory / "work" / "made.txt").read_bytes() == b"relative\n"
    assert d.docker("cp", "on-host:/work/made.txt", str(tmp_path / "back")).returncode == 0  # "/" is the directory
    assert (tmp_path / "back").read_bytes() == b"relative\n"
    refused = d.docker("create", "--user", "nobody", "alpine", "true")
    assert refused.returncode != 0 and b"as user 'nobody'" in refused.stderr, refused.stderr
    d.docker("rm", "-f", "on-host", check=True)
    assert not directory.exists()
