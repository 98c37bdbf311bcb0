"""Confinement: utilities reach only the container root, whatever paths and links say.

Each test plants, inside the sandbox root, links that on the host would lead to a
directory outside the root (absolute, and relative with enough ``..``), then runs
utilities through them and checks that the outside directory is exactly as it was.
"""

from __future__ import annotations

import io
import os
import tarfile

import pytest
from sockerless_memory.sandbox.harness import Sandbox
from util_support import run_ours, snapshot

CASES = [
    ["cp", "a.txt", "abs/pwned"],
    ["cp", "a.txt", "rel/pwned"],
    ["cp", "-r", "d", "abs/"],
    ["cp", "a.txt", "abs_file"],
    ["cp", "-f", "a.txt", "abs_file"],
    ["cp", "a.txt", "/../../../../../../../../tmp/pwned"],
    ["mv", "a.txt", "abs/"],
    ["mv", "b.txt", "rel/pwned"],
    ["rm", "-rf", "abs/", "rel/"],
    ["rm", "-rf", "abs/sub", "rel/sub", "abs/secret"],
    ["rm", "-f", "abs_file"],
    ["ln", "-s", "/etc/passwd", "abs/link"],
    ["ln", "a.txt", "rel/hard"],
    ["touch", "abs/new", "rel/new", "abs/secret"],
    ["mkdir", "-p", "abs/made", "rel/made/deeper"],
    ["chmod", "-R", "000", "abs/", "rel/"],
    ["chown", "-R", "123:456", "abs/", "rel/"],
    ["sed", "-i", "s/host/pwned/", "abs/secret"],
    ["sed", "-i", "s/host/pwned/", "abs_file"],
    ["find", "abs/", "rel/", "-delete"],
    ["find", "-L", ".", "-name", "secret", "-delete"],
    ["tee", "abs/tee", "rel/secret"],
    ["dd", "if=a.txt", "of=abs/secret"],
    ["truncate", "-s", "0", "abs/secret", "rel/secret"],
    ["split", "-l", "1", "a.txt", "abs/piece"],
    ["gzip", "abs/secret"],
    ["tar", "-cf", "abs/t.tar", "d"],
]


@pytest.mark.parametrize("argv", CASES, ids=[" ".join(c) for c in CASES])
def test_host_stays_untouched(argv: list[str], jailed: Sandbox, outside: str) -> None:
    before = snapshot(outside)
    modes = {name: os.stat(os.path.join(outside, name)).st_mode for name in os.listdir(outside)}
    run_ours(jailed, argv, stdin=b"data\n")
    assert snapshot(outside) == before
    assert {name: os.stat(os.path.join(outside, name)).st_mode for name in os.listdir(outside)} == modes


def test_reads_through_links_see_the_container(jailed: Sandbox, outside: str) -> None:
    for argv in (["cat", "abs/secret"], ["cat", "rel/secret"], ["cat", "abs_file"], ["ls", "abs/"], ["head", "rel/sub/deep"]):
        result = run_ours(jailed, argv)
        assert b"host secret" not in result.stdout and b"deep" not in result.stdout, argv
        assert result.status != 0, argv


def _evil_tar(outside: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        def add(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = "") -> None:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = link
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)

        add("../../../../../../../.." + outside + "/dotdot", b"x")
        add(outside + "/absolute", b"x")
        add("ok/../../../../../../../../../" + outside.lstrip("/") + "/mixed", b"x")
        add("escape", kind=tarfile.SYMTYPE, link=outside)
        add("escape/through", b"x")
        add("climb", kind=tarfile.SYMTYPE, link="../../../../../../../../.." + outside)
        add("climb/through", b"x")
        add("hard", kind=tarfile.LNKTYPE, link=outside + "/secret")
        add("hard2", kind=tarfile.LNKTYPE, link="../../../../../../../../.." + outside + "/secret")
    return buffer.getvalue()


@pytest.mark.parametrize("directory", ["/w", "/"])
def test_tar_extraction_is_confined(jailed: Sandbox, outside: str, directory: str) -> None:
    before = snapshot(outside)
    result = run_ours(jailed, ["tar", "-xf", "-", "-C", directory], stdin=_evil_tar(outside))
    assert result.status == 1  # the links it refused are reported
    assert snapshot(outside) == before
    root = os.path.join(jailed.root, directory.lstrip("/"))
    # names were sanitised into the extraction directory
    assert os.path.exists(os.path.join(root, "dotdot")) or os.path.exists(os.path.join(root, outside.lstrip("/"), "dotdot"))
    assert os.path.exists(os.path.join(root, outside.lstrip("/"), "absolute"))


def test_symlink_created_by_ln_resolves_inside(jailed: Sandbox, outside: str) -> None:
    run_ours(jailed, ["ln", "-s", outside + "/secret", "mine"])
    result = run_ours(jailed, ["cat", "mine"])
    assert result.status == 1 and b"host secret" not in result.stdout
    name = "/tmp/" + os.path.basename(os.path.dirname(outside)) + "-made-inside"
    run_ours(jailed, ["ln", "-s", name, "dangling2"])
    assert run_ours(jailed, ["cp", "a.txt", "dangling2"]).status == 0  # creates the link's target in the root
    assert not os.path.exists(name)
    assert os.path.exists(os.path.join(jailed.root, name.lstrip("/")))
    with open(os.path.join(outside, "secret"), "rb") as handle:
        assert handle.read() == b"host secret\n"
