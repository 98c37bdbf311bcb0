"""A sample of the sandbox's differential corpus through the real daemon and the docker CLI:
``docker run --rm -w /w alpine sh -c SCRIPT`` must print what Debian's busybox ``sh`` prints
and exit as it does (the in-process harness runs the whole corpus; this checks the path a user
takes: API, container start, attach, exit code)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

CORPUS_DIR = Path(__file__).resolve().parents[2] / "plugins" / "sockerless-memory" / "tests" / "shell"
sys.path.insert(0, str(CORPUS_DIR))

import sh_corpus_ci  # noqa: E402

BUSYBOX = "/usr/bin/busybox"
GROUPS = ["AWK_SCRIPTS", "SED_GREP_SCRIPTS", "FILE_ARCHIVE_SCRIPTS", "UTILITY_SCRIPTS", "CI_SCRIPTS",
          "GRAMMAR_SCRIPTS", "ASH_SEMANTICS", "SYNC_AND_TOOL_SCRIPTS", "EXPANSION_SCRIPTS", "TEXT_TOOL_SCRIPTS",
          "ERROR_MESSAGES"]
STEP = 16  # every 16th script of each group: about 110 containers
SAMPLE = [(group, i, script) for group in GROUPS for i, script in enumerate(getattr(sh_corpus_ci, group)) if i % STEP == 0]


def _busybox(script: str) -> subprocess.CompletedProcess:
    workdir = tempfile.mkdtemp(prefix="sh-ref-")
    try:
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LC_ALL": "C"}
        return subprocess.run([BUSYBOX, "sh", "-c", script], capture_output=True, cwd=workdir, env=env, timeout=30)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.mark.parametrize(("group", "index", "script"), SAMPLE, ids=[f"{g.lower()}-{i}" for g, i, _ in SAMPLE])
def test_docker_run_matches_busybox(docker, group: str, index: int, script: str) -> None:
    assert os.path.exists(BUSYBOX), "the differential tests need busybox (Debian: apt-get install busybox-static)"
    expected = _busybox(script)
    ours = docker("run", "--rm", "-w", "/w", "alpine", "sh", "-c", script)
    detail = f"\nscript: {script!r}\nbusybox: {expected!r}\nsockerless: {ours!r}"
    assert ours.stdout == expected.stdout, "stdout differs" + detail
    status = expected.returncode if expected.returncode >= 0 else 128 - expected.returncode
    assert ours.returncode == status, "exit status differs" + detail
