"""Unit tests: the wire format, the keep-alive rule, user resolution, the replay buffer."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sockerless.agent import protocol
from sockerless.agent.tokens import new_token, tokens_match
from sockerless_agent import dnsconf
from sockerless_agent.cli import is_keep_alive_command
from sockerless_agent.mainproc import ReplayBuffer
from sockerless_agent.users import UnknownUser, resolve


def test_data_frames_round_trip():
    frame = protocol.pack(7, protocol.STDERR, b"payload")
    assert frame[:5] == b"\x00\x00\x00\x07\x02"
    assert protocol.unpack(frame) == (7, protocol.STDERR, b"payload")
    with pytest.raises(protocol.ProtocolError):
        protocol.unpack(b"\x00\x00")
    with pytest.raises(protocol.ProtocolError):
        protocol.unpack(protocol.HEADER.pack(1, 9) + b"x")


def test_control_messages_are_checked():
    text = protocol.control(protocol.EXEC, 3, argv=["true"], kind="x")
    assert protocol.parse_control(text) == {"type": "exec", "session": 3, "argv": ["true"], "kind": "x"}
    for bad in ("not json", "[1]", '{"type": "exec"}', '{"type": "exec", "session": -1}',
                '{"type": "exec", "session": true}', '{"session": 1}'):
        with pytest.raises(protocol.ProtocolError):
            protocol.parse_control(bad)


def test_tokens():
    token = new_token()
    assert len(token) >= 40 and token != new_token()
    assert tokens_match(token, token)
    assert not tokens_match(token[:-1] + "x", token)
    assert not tokens_match("", "")
    assert protocol.token_from_header(protocol.bearer(token)) == token
    assert protocol.token_from_header("Basic abc") == ""
    assert protocol.token_from_header(None) == ""


@pytest.mark.parametrize(("argv", "expected"), [
    (["tail", "-f", "/dev/null"], True),
    (["/usr/bin/tail", "-F", "/dev/null"], True),
    (["sleep", "infinity"], True),
    (["sh", "-c", "tail -f /dev/null"], True),
    (["/bin/bash", "-c", "sleep infinity"], True),
    (["tail", "-f", "/var/log/app.log"], False),
    (["sleep", "60"], False),
    (["sh", "-c", "tail -f /dev/null; echo done"], False),
    ([], False),
])
def test_keep_alive_rule(argv, expected):
    assert is_keep_alive_command(argv) is expected


def test_users_resolve_from_the_workload_files(tmp_path):
    passwd = tmp_path / "passwd"
    group = tmp_path / "group"
    passwd.write_text("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n")
    group.write_text("root:x:0:\napp:x:1000:\nwheel:x:10:app\nstaff:x:50:\n")

    def r(spec):
        return resolve(spec, str(passwd), str(group))

    assert r("") is None
    app = r("app")
    assert (app.uid, app.gid, app.groups, app.home) == (1000, 1000, (10,), "/home/app")
    assert (r("1000").uid, r("1000").home) == (1000, "/home/app")
    assert (r("app:staff").gid) == 50
    assert (r("4242:4343").uid, r("4242:4343").gid) == (4242, 4343)
    assert r("4242").gid == 0  # a uid missing from passwd runs with the root group, as in Docker
    with pytest.raises(UnknownUser, match="unable to find user nobody"):
        r("nobody")
    with pytest.raises(UnknownUser, match="unable to find group nogroup"):
        r("app:nogroup")


def test_replay_buffer_keeps_the_newest_bytes_with_offsets():
    buffer = ReplayBuffer(limit=8)
    buffer.append(b"0123")
    assert buffer.since(0) == (0, b"0123")
    buffer.append(b"456789ab")
    assert buffer.start == 4 and buffer.end == 12
    assert buffer.since(0) == (4, b"456789ab")
    assert buffer.since(10) == (10, b"ab")
    assert buffer.since(12) == (12, b"")


def test_agent_modules_stay_free_of_the_daemon():
    """The agent imports the protocol from the core, never the server, engine or their dependencies."""
    code = ("import sys, sockerless_agent.cli, sockerless_agent.sessions, sockerless_agent.modes; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn', 'msgspec', 'pluggy') "
            "or m.startswith(('sockerless.server', 'sockerless.engine', 'sockerless.plugins'))]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_agent_refuses_to_start_without_a_token():
    out = subprocess.run([sys.executable, "-m", "sockerless_agent", "--listen", "127.0.0.1:0", "--", "true"],
                         capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert out.returncode == 2
    assert "SOCKERLESS_AGENT_TOKEN" in out.stderr


def test_the_agent_is_also_a_sockerless_command():
    from daemon import sockerless_command

    listed = subprocess.run([*sockerless_command(), "plugins"], capture_output=True, text=True)
    assert "agent: sockerless_agent.plugin [sockerless-agent" in listed.stdout
    helped = subprocess.run([*sockerless_command(), "agent", "--help"], capture_output=True, text=True)
    assert helped.returncode == 0 and "--listen" in helped.stdout and "--keep-alive" in helped.stdout


def test_what_the_main_process_leaves_running_ends_with_it(tmp_path):
    """As when a container's init ends: its background children are killed and its exit is not held up."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCKERLESS_AGENT_")}
    env["SOCKERLESS_AGENT_TOKEN"] = "t"
    agent = subprocess.Popen([sys.executable, "-m", "sockerless_agent", "--connect", "ws://127.0.0.1:9/none",
                              "--container", "c" * 64, "--linger", "0", "--log-file", str(tmp_path / "agent.log"),
                              "--", "sh", "-c", "sleep 300 & echo $!; exit 3"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert agent.wait(60) == 3  # long before the 300 s sleep would have let go of stdout
        leftover = int(agent.stdout.read().split()[0])
    finally:
        if agent.poll() is None:
            agent.kill()
    try:
        os.kill(leftover, 0)
        with open(f"/proc/{leftover}/stat") as handle:
            state = handle.read().split(") ", 1)[1][0]
    except (ProcessLookupError, FileNotFoundError):
        state = "gone"
    assert state in ("gone", "Z")


def test_search_domains_fold_into_one_search_line():
    assert dnsconf.parse_domains(" a.b., c , a.b  .") == ["a.b", "c"]
    conf = "# made by the platform\nnameserver 10.0.0.2\ndomain old.example\nsearch ec2.internal x\noptions ndots:2\n"
    assert dnsconf.with_search(conf, ["net.sockerless", "x"]) == (
        "# made by the platform\nnameserver 10.0.0.2\nsearch net.sockerless x ec2.internal\noptions ndots:2\n")
    assert dnsconf.with_search("nameserver 1.1.1.1", ["n.sockerless"]) == "nameserver 1.1.1.1\nsearch n.sockerless\n"
    assert dnsconf.with_search("", ["n.sockerless"]) == "search n.sockerless\n"
    assert dnsconf.with_search("nameserver 1.1.1.1\n", []) == "nameserver 1.1.1.1\n"


def test_rewrite_stays_in_the_root_and_keeps_the_file(tmp_path):
    from sockerless.archive.hostfs import RootedFileSystem

    (tmp_path / "etc").mkdir()
    target = tmp_path / "etc" / "resolv.conf"
    target.write_text("a much longer original text\n")
    inode = target.stat().st_ino
    with RootedFileSystem(tmp_path) as fs:
        with fs.rewrite("/etc/resolv.conf") as handle:
            handle.write(b"short\n")
        assert target.read_text() == "short\n" and target.stat().st_ino == inode, "rewritten in place"
        outside = tmp_path.parent / f"{tmp_path.name}-outside"
        outside.write_text("host file\n")
        (tmp_path / "etc" / "link").symlink_to(outside)
        with pytest.raises(OSError):
            fs.rewrite("/etc/link")
        assert outside.read_text() == "host file\n"
        with fs.rewrite("/etc/new") as handle:
            handle.write(b"made\n")
        assert (tmp_path / "etc" / "new").read_text() == "made\n"
