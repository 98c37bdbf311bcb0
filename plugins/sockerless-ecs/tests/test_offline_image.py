"""Simulator mode without any reachable registry: images are this host's static busybox (said in the pull)."""

from __future__ import annotations

from awssim import check_offline_builtin_run


def test_offline_run_uses_the_builtin_busybox(tmp_path, sim):
    check_offline_builtin_run(tmp_path / "offline", "ecs", sim.endpoint)
