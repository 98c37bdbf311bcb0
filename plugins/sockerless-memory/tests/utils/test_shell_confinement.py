"""Confinement of the shell and of utilities driven by scripts: redirections, ``cd``, globs,
``.``, here-docs, awk/sort/uniq/rsync/tar/install/mktemp outputs, through absolute and relative
links aimed at a host directory, through ``..`` past the root, and through a link that a racing
attacker keeps swapping. The host directory must stay exactly as it was, and nothing of it may
be read.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from sockerless_memory.sandbox.harness import Sandbox
from util_support import snapshot

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sandbox"))
from layer_support import flipping

HOST_MARKERS = (b"host secret", b"deep\n")

SCRIPTS = [
    "echo pwned > abs/new", "echo pwned > rel/new", "echo pwned >> abs/secret", "echo pwned > abs_file",
    "echo pwned >| rel/secret", ": > abs/secret", "exec 3>abs/fd3; echo x >&3", "exec 4<>rel/secret; echo x >&4",
    "cat abs/secret > copy; cat copy", "cat < rel/secret", "while read l; do echo \"$l\"; done < abs/secret",
    "cd abs && echo x > inside; pwd", "cd rel/sub; cat deep", "cd /w/abs/..; ls",
    "cat <<EOF > abs/here\nx\nEOF", "cat <<EOF >> rel/secret\nx\nEOF",
    ". abs/secret", ". rel/secret; echo $?", "sh abs/secret", "sh < rel/secret",
    "echo abs/* rel/* abs/.* rel/sub/*", "for f in abs/*; do echo \"[$f]\"; done", "set -- rel/*; echo $#",
    "ls -la abs/ rel/", "du -a abs rel", "stat -c %s abs/secret rel/secret", "[ -f abs/secret ] && echo found",
    "test -e rel/sub/deep && echo found", "wc -c abs/secret", "md5sum rel/secret", "od -c abs/secret",
    "awk 'BEGIN{print \"x\" > \"abs/awk\"; print \"y\" >> \"rel/secret\"}'", "awk '{print}' abs/secret",
    "awk 'BEGIN{while ((getline l < \"rel/secret\") > 0) print l}'", "sed -n p abs/secret rel/sub/deep",
    "sort -o abs/secret a.txt", "sort rel/secret", "uniq a.txt abs/uniq", "tee abs/tee rel/secret < a.txt",
    "rsync -a d/ abs/", "rsync -a d/ rel/sub/", "rsync -a abs/ copy/; ls -R copy", "rsync -aR d/x abs/",
    "cp -a abs copy; ls -R copy", "cp -L abs_file copy", "cp -r rel copy2; ls -R copy2",
    "tar -cf - d | tar -xf - -C abs", "tar -C rel -cf t.tar .; tar -tf t.tar", "tar -cf abs/t.tar d",
    "mktemp -p abs", "mktemp abs/XXXXXX", "mktemp -d rel/dXXXXXX", "install -m 644 a.txt abs/inst",
    "install -D a.txt rel/sub/inst", "ln -sf /etc/passwd abs_file", "ln -f a.txt abs_file", "ln -sf a.txt abs/lnk",
    "find abs rel -exec rm -f {} \\;", "find abs/ rel/ -type f", "printf 'abs/secret\\nrel/secret\\n' | xargs rm -f",
    "grep -r secret abs rel", "grep -R deep .", "base64 a.txt | base64 -d > abs/b64", "gzip -c a.txt > rel/g.gz",
    "split -b 4 a.txt rel/x", "touch -r abs/secret newfile; touch abs/secret", "rmdir abs/sub rel/sub",
    "mv abs_file moved; ls -l moved", "mv a.txt abs/secret", "chmod 777 abs/secret rel/sub", "chown 1:1 abs_file",
    "cp a.txt /../../../../../../../../tmp/escape-$$", "echo x > /../../../../../../../../tmp/escape2-$$",
    "cd /; cd ../../../..; pwd; ls -d tmp", "ln -s ../../../../../../../.. up; ls up/ | head -3; echo x > up/tmp/up-$$",
    "readlink -f abs; realpath rel/sub", "diff abs/secret rel/secret", "cmp a.txt abs_file", "head -c 100 rel/sub/deep",
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_scripts_never_touch_or_read_the_host(script: str, jailed: Sandbox, outside: str) -> None:
    before = snapshot(outside)
    modes = {name: os.lstat(os.path.join(outside, name)).st_mode for name in os.listdir(outside)}
    result = jailed.run(["sh", "-c", script], cwd="/w", timeout=30)
    assert snapshot(outside) == before
    assert {name: os.lstat(os.path.join(outside, name)).st_mode for name in os.listdir(outside)} == modes
    for marker in HOST_MARKERS:
        assert marker not in result.stdout and marker not in result.stderr, (script, result)
    for name in os.listdir("/tmp"):
        assert not name.startswith(("escape-", "escape2-", "up-")), name


def test_globs_and_listings_show_the_container_side(jailed: Sandbox) -> None:
    # the links resolve inside the root, where there is nothing: the patterns stay as written
    assert jailed.run(["sh", "-c", "echo abs/* rel/*"], cwd="/w").stdout == b"abs/* rel/*\n"
    result = jailed.run(["sh", "-c", "ls abs/ rel/; echo $?"], cwd="/w")
    assert b"secret" not in result.stdout.split(b"\n")[0] and result.stdout.endswith(b"1\n")


def test_a_racing_symlink_swap_never_lets_the_shell_out(jailed: Sandbox, outside: str) -> None:
    """While an attacker flips ``flip`` between the host directory and a directory inside the
    root, redirections, ``cat``, ``cp`` and globs through it only ever see the inside."""
    inside = os.path.join(jailed.root, "w", "real")
    os.makedirs(inside)
    with open(os.path.join(inside, "secret"), "wb") as handle:
        handle.write(b"inside\n")
    before = snapshot(outside)
    script = (
        "i=0; while [ $i -lt 150 ]; do i=$((i+1));"
        " echo x > flip/w$i 2>/dev/null; cat flip/secret 2>/dev/null; cp a.txt flip/c$i 2>/dev/null;"
        " echo flip/s*; done"
    )
    with flipping(Path(jailed.root, "w", "flip"), outside, "real"):
        result = jailed.run(["sh", "-c", script], cwd="/w", timeout=120)
    assert snapshot(outside) == before
    for marker in HOST_MARKERS:
        assert marker not in result.stdout
    assert set(result.stdout.split(b"\n")) <= {b"", b"inside", b"flip/secret", b"flip/s*"}
