"""Registry client parts: credentials, challenges, settings, platforms, progress text, import changes."""

from __future__ import annotations

import base64
import json

import pytest
from sockerless.api.errors import InvalidParameter
from sockerless.api.models.images import ImageConfig
from sockerless.engine.images.changes import apply_changes
from sockerless.engine.images.progress import human_size, progress_bar
from sockerless.engine.registry.auth import (
    credentials_from_config_file,
    credentials_from_header,
    parse_challenge,
    registry_domain,
)
from sockerless.engine.registry.platforms import Platform, select_manifest
from sockerless.engine.registry.settings import RegistrySettings


def _header(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def test_x_registry_auth_forms():
    assert credentials_from_header(None) is None
    assert credentials_from_header(_header({})) is None
    creds = credentials_from_header(_header({"username": "u", "password": "p", "serveraddress": "r"}))
    assert (creds.username, creds.password) == ("u", "p")
    encoded = credentials_from_header(_header({"auth": base64.b64encode(b"x:y:z").decode()}))
    assert (encoded.username, encoded.password) == ("x", "y:z")
    assert credentials_from_header(_header({"identitytoken": "tok"})).identity_token == "tok"
    assert "p" not in repr(creds)
    with pytest.raises(InvalidParameter):
        credentials_from_header("!!!not-base64")


def test_config_file_credentials(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"auths": {"https://index.docker.io/v1/": {"auth": base64.b64encode(b"hub:pw").decode()},
                                          "127.0.0.1:5000": {"auth": base64.b64encode(b"me:secret").decode()}}}))
    assert credentials_from_config_file(str(path), "docker.io").username == "hub"
    assert credentials_from_config_file(str(path), "127.0.0.1:5000").password == "secret"
    assert credentials_from_config_file(str(path), "other:1") is None
    assert credentials_from_config_file("", "docker.io") is None


def test_challenges():
    bearer = parse_challenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
                             'scope="repository:library/alpine:pull"')
    assert bearer.scheme == "bearer"
    assert bearer.params == {"realm": "https://auth.docker.io/token", "service": "registry.docker.io",
                             "scope": "repository:library/alpine:pull"}
    assert parse_challenge('Basic realm="Registry Realm"').scheme == "basic"
    assert registry_domain("https://index.docker.io/v1/") == "docker.io"
    assert registry_domain("http://127.0.0.1:5000") == "127.0.0.1:5000"


def test_insecure_registries_and_mirrors():
    settings = RegistrySettings(mirrors=["http://mirror.local:5000/"], insecure=["10.0.0.0/8", "reg.corp:443"])
    assert settings.is_insecure("127.0.0.1:5000") and settings.is_insecure("localhost:5000")
    assert settings.is_insecure("[::1]:5000")
    assert settings.is_insecure("10.1.2.3:5000") and settings.is_insecure("reg.corp:443")
    assert not settings.is_insecure("registry.example.com")
    hub = settings.endpoints("docker.io")
    assert [e.url for e in hub] == ["http://mirror.local:5000", "https://registry-1.docker.io"] and hub[0].mirror
    assert [e.url for e in settings.endpoints("docker.io", for_push=True)] == ["https://registry-1.docker.io"]
    assert [e.url for e in settings.endpoints("127.0.0.1:5000")] == ["https://127.0.0.1:5000", "http://127.0.0.1:5000"]
    assert [e.url for e in settings.endpoints("quay.io")] == ["https://quay.io"]
    with pytest.raises(ValueError):
        RegistrySettings(mirrors=["mirror.local"])
    with pytest.raises(ValueError):
        RegistrySettings(insecure=["http://x"])


def test_platform_selection():
    index = [
        {"digest": "arm7", "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}},
        {"digest": "arm64", "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        {"digest": "amd64", "platform": {"os": "linux", "architecture": "amd64"}},
        {"digest": "att", "platform": {"os": "unknown", "architecture": "unknown"}},
    ]
    assert select_manifest(index, Platform.parse("linux/amd64"))["digest"] == "amd64"
    assert select_manifest(index, Platform.parse("linux/arm64"))["digest"] == "arm64"
    assert select_manifest(index, Platform.parse("linux/aarch64/v8"))["digest"] == "arm64"
    assert select_manifest(index, Platform.parse("linux/arm/v7"))["digest"] == "arm7"
    assert select_manifest(index, Platform.parse("linux/s390x")) is None
    assert str(Platform.parse("amd64")) == "linux/amd64"
    with pytest.raises(InvalidParameter):
        Platform.parse("linux//")


def test_progress_text_matches_docker():
    assert human_size(0) == "0B" and human_size(999) == "999B"
    assert human_size(1234) == "1.234kB" and human_size(2_811_478) == "2.811MB"
    assert progress_bar(0, 0) == ""
    assert progress_bar(1_000_000, 2_000_000) == "[" + "=" * 25 + ">" + " " * 25 + "] " + "     1MB/2MB"
    assert progress_bar(2_000_000, 2_000_000).startswith("[" + "=" * 50 + ">]")


def test_import_changes():
    config = apply_changes(ImageConfig(Env=["PATH=/bin"]), [
        "ENV A=1 B='two words'", "ENV PATH=/usr/bin", "CMD echo hi", 'ENTRYPOINT ["/bin/sh"]', "EXPOSE 80 53/udp",
        "LABEL a=b", "VOLUME /data", "WORKDIR /srv", "WORKDIR app", "USER nobody", "STOPSIGNAL SIGTERM",
        "HEALTHCHECK --interval=2s --retries=3 CMD [\"true\"]", "ONBUILD RUN x"])
    assert config.Env == ["A=1", "B=two words", "PATH=/usr/bin"]
    assert config.Cmd == ["/bin/sh", "-c", "echo hi"] and config.Entrypoint == ["/bin/sh"]
    assert config.ExposedPorts == {"80/tcp": {}, "53/udp": {}} and config.Labels == {"a": "b"}
    assert config.Volumes == {"/data": {}} and config.WorkingDir == "/srv/app" and config.User == "nobody"
    assert config.Healthcheck.Test == ["CMD", "true"] and config.Healthcheck.Interval == 2_000_000_000
    assert config.Healthcheck.Retries == 3 and config.OnBuild == ["RUN x"]
    with pytest.raises(InvalidParameter, match="RUN is not a valid change command"):
        apply_changes(ImageConfig(), ["RUN true"])
