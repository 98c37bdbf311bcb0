"""Differential tests: the sandbox shell against busybox ``sh`` (and bash for bash features)."""

from __future__ import annotations

import pytest
from sh_corpus import (
    ARITH,
    BUILTINS,
    CASE,
    CMDSUB,
    CONDITIONALS,
    EDGE,
    ERREXIT,
    EXIT_CODES,
    FUNCTIONS,
    GLOB,
    HEREDOC,
    IFS_READ,
    JOB_SPECS,
    LOOPS,
    MISC,
    OPTIONS,
    PARAMS,
    PATTERNS,
    PIPELINES,
    PWD_BUILTIN,
    QUOTING,
    REDIR,
    SPLITTING,
    SUBSHELLS,
    SYNTAX,
    TRAPS,
    UTILITY_BUILTINS,
)
from sh_corpus import (
    BASH as BASH_CASES,
)
from sh_corpus_ci import (
    ASH_SEMANTICS,
    AWK_SCRIPTS,
    BASH_SCRIPTS,
    CI_SCRIPTS,
    ERROR_MESSAGES,
    EXPANSION_SCRIPTS,
    FILE_ARCHIVE_SCRIPTS,
    GRAMMAR_SCRIPTS,
    SED_GREP_SCRIPTS,
    SYNC_AND_TOOL_SCRIPTS,
    TEXT_TOOL_SCRIPTS,
    UTILITY_SCRIPTS,
)
from sh_support import BASH, BUSYBOX, Box, have, run_reference

GROUPS = {
    "quoting": QUOTING, "params": PARAMS, "splitting": SPLITTING, "glob": GLOB, "cmdsub": CMDSUB,
    "arith": ARITH, "heredoc": HEREDOC, "redir": REDIR, "functions": FUNCTIONS, "loops": LOOPS,
    "case": CASE, "cond": CONDITIONALS, "errexit": ERREXIT, "options": OPTIONS, "traps": TRAPS,
    "subshells": SUBSHELLS, "exit": EXIT_CODES, "syntax": SYNTAX, "builtins": BUILTINS,
    "pipelines": PIPELINES, "misc": MISC, "edge": EDGE,
    "patterns": PATTERNS, "ifs-read": IFS_READ,
    "utility-builtins": UTILITY_BUILTINS, "pwd": PWD_BUILTIN, "job-specs": JOB_SPECS,
    "ci-awk": AWK_SCRIPTS, "ci-sed-grep": SED_GREP_SCRIPTS, "ci-files": FILE_ARCHIVE_SCRIPTS,
    "ci-utilities": UTILITY_SCRIPTS, "ci-scripts": CI_SCRIPTS, "ci-grammar": GRAMMAR_SCRIPTS,
    "ci-ash": ASH_SEMANTICS, "ci-sync-tools": SYNC_AND_TOOL_SCRIPTS, "ci-expansions": EXPANSION_SCRIPTS,
    "ci-text-tools": TEXT_TOOL_SCRIPTS, "ci-errors": ERROR_MESSAGES,
}


def _cases(groups: dict[str, list], ref: str):
    for group, cases in groups.items():
        for i, case in enumerate(cases):
            script, opts = (case, {}) if isinstance(case, str) else case
            yield pytest.param(script, opts, ref, id=f"{group}-{i}")


def _check(box: Box, script: str, opts: dict, ref: str) -> None:
    shell = [BUSYBOX, "sh"] if ref == "busybox" else [BASH]
    stdin = opts.get("stdin", b"")
    expected = run_reference(shell, script, stdin)
    ours = box.sh(script, stdin=stdin, shell="sh" if ref == "busybox" else "bash")
    detail = f"\nscript: {script!r}\nexpected: {expected!r}\nours: {ours!r}"
    assert ours.stdout == expected.stdout, "stdout differs" + detail
    assert ours.status == expected.status, "status differs" + detail
    if opts.get("stderr"):
        # the reference shells name themselves differently; compare after the program name
        want = expected.stderr.replace(b"bash: ", b"sh: ")
        assert ours.stderr == want, "stderr differs" + detail


@pytest.mark.skipif(not have(BUSYBOX), reason="busybox is not installed")
@pytest.mark.parametrize(("script", "opts", "ref"), list(_cases(GROUPS, "busybox")))
def test_against_busybox(box: Box, script: str, opts: dict, ref: str) -> None:
    _check(box, script, opts, ref)


@pytest.mark.skipif(not have(BASH), reason="bash is not installed")
@pytest.mark.parametrize(("script", "opts", "ref"), list(_cases({"bash": BASH_CASES, "ci-bash": BASH_SCRIPTS}, "bash")))
def test_against_bash(box: Box, script: str, opts: dict, ref: str) -> None:
    _check(box, script, opts, ref)
