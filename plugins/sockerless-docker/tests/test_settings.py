"""Backend options: addresses, TLS, refusal of unknown keys."""

from __future__ import annotations

import pytest
from sockerless_docker.settings import SettingsError, load, parse_address


def test_addresses() -> None:
    assert parse_address("unix:///run/docker.sock").path == "/run/docker.sock"
    assert parse_address("/run/podman.sock").url == "unix:///run/podman.sock"
    tcp = parse_address("tcp://127.0.0.1:2375")
    assert (tcp.host, tcp.port) == ("127.0.0.1", 2375)
    with pytest.raises(SettingsError):
        parse_address("ssh://host")


def test_default_tcp_ports_follow_tls(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("SOCKERLESS_DOCKER_HOST", raising=False)
    monkeypatch.setenv("SOCKERLESS_DOCKER_CERT_PATH", str(tmp_path))
    assert load({"docker-host": "tcp://127.0.0.1"}).address.port == 2375
    settings = load({"docker-host": "tcp://127.0.0.1", "tls": "true"})
    assert settings.address.port == 2376 and settings.tls is not None


def test_unknown_options_and_bad_values_are_refused() -> None:
    with pytest.raises(SettingsError, match="unknown option"):
        load({"docker_host": "unix:///x"})
    with pytest.raises(SettingsError, match="tls-verify must be true or false"):
        load({"tls-verify": "maybe"})
    with pytest.raises(SettingsError, match="events must be"):
        load({"events": "sometimes"})


def test_tls_verify_needs_a_ca(tmp_path) -> None:
    with pytest.raises(SettingsError, match="needs a CA file"):
        load({"docker-host": "tcp://127.0.0.1:2376", "tls-verify": "1", "tls-ca": str(tmp_path / "none.pem")})


def test_environment_supplies_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCKERLESS_DOCKER_HOST", "unix:///tmp/engine.sock")
    assert load({}).address.path == "/tmp/engine.sock"
    assert load({"docker-host": "unix:///other.sock"}).address.path == "/other.sock"
