"""The reference services the suites compare against are really up."""

from __future__ import annotations

import json
import subprocess
import urllib.request


def test_real_dockerd_runs_alpine(services: dict[str, str]) -> None:
    out = subprocess.run(["docker", "-H", services["docker_host"], "run", "--rm", "--network", "none", "alpine",
                          "sh", "-c", "echo hi"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "hi\n"


def test_registry_holds_seeded_images(services: dict[str, str]) -> None:
    # the catalog is paged (100 by default) and the suites push repositories of their own: ask for all
    with urllib.request.urlopen(f"http://{services['registry']}/v2/_catalog?n=100000", timeout=10) as resp:
        catalog = json.load(resp)
    assert {"library/alpine", "library/busybox"} <= set(catalog["repositories"])
