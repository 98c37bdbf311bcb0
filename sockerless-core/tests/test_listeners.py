import pytest
from sockerless.server.listeners import ListenerError, TLSSettings, check_security, parse


def test_parse_addresses():
    assert parse("unix:///run/x.sock").path == "/run/x.sock"
    assert parse("/tmp/y.sock").scheme == "unix"
    tcp = parse("tcp://127.0.0.1:2375")
    assert (tcp.host, tcp.port, tcp.loopback) == ("127.0.0.1", 2375, True)
    assert parse("tcp://:2375").host == "0.0.0.0"
    assert parse("tcp://[::1]:2375").loopback
    for bad in ("http://x:1", "tcp://host", "unix://"):
        with pytest.raises(ListenerError):
            parse(bad)


def test_security_rules():
    assert check_security(parse("tcp://127.0.0.1:1"), TLSSettings(), False) is None
    with pytest.raises(ListenerError, match="without TLS"):
        check_security(parse("tcp://0.0.0.0:1"), TLSSettings(), False)
    assert "not secure" in check_security(parse("tcp://0.0.0.0:1"), TLSSettings(), True)
    assert check_security(parse("tcp://0.0.0.0:1"), TLSSettings(enabled=True, verify=True), False) is None
    assert "without --tlsverify" in check_security(parse("tcp://10.0.0.1:1"), TLSSettings(enabled=True), False)
