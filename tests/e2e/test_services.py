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
    # the catalog is paged and the suites push repositories of their own: follow the pages
    repositories: set[str] = set()
    url: str | None = f"http://{services['registry']}/v2/_catalog?n=1000"
    while url:
        with urllib.request.urlopen(url, timeout=10) as resp:
            repositories |= set(json.load(resp)["repositories"])
            link = resp.headers.get("Link", "")
        url = f"http://{services['registry']}" + link.split(">")[0].lstrip("<") if 'rel="next"' in link else None
    assert {"library/alpine", "library/busybox"} <= repositories
