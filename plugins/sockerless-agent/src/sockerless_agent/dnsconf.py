"""DNS search domains for the workload: ``--dns-search`` written into the root's ``/etc/resolv.conf``.

A platform whose service discovery publishes names under a domain per network (the ecs backend's
Cloud Map namespaces) resolves a peer's bare name, as Docker's embedded DNS does, once that domain
is searched. The file is rewritten in place (a runtime may have bind-mounted it), confined to the
container root: a link there is refused, never followed.
"""

from __future__ import annotations

from collections.abc import Iterable

from sockerless.archive.hostfs import RootedFileSystem

RESOLV_CONF = "/etc/resolv.conf"


def parse_domains(text: str) -> list[str]:
    """The domains of ``--dns-search`` (separated by spaces or commas), without trailing dots, deduplicated."""
    return list(dict.fromkeys(d.strip().rstrip(".") for d in text.replace(",", " ").split() if d.strip(".")))


def with_search(conf: str, domains: Iterable[str]) -> str:
    """``conf`` (resolv.conf text) searching ``domains`` first, then the domains it searched already.

    ``search`` and ``domain`` lines are folded into one ``search`` line where the first of them was
    (``domain`` is the one-element form of ``search``; the resolver keeps only the last of them)."""
    lines = conf.splitlines()
    existing: list[str] = []
    position = None
    kept = []
    for line in lines:
        words = line.split()
        if words and words[0] in ("search", "domain"):
            existing = words[1:]  # the last one wins, as in the resolver
            position = len(kept) if position is None else position
            continue
        kept.append(line)
    merged = list(dict.fromkeys([*domains, *existing]))
    if not merged:
        return conf
    kept.insert(len(kept) if position is None else position, "search " + " ".join(merged))
    return "\n".join(kept) + "\n"


def add_search_domains(root: str, domains: list[str]) -> None:
    """Make the resolver under ``root`` search ``domains`` first (an OSError when the file cannot be written)."""
    with RootedFileSystem(root) as fs:
        try:
            with fs.open_read(RESOLV_CONF) as current:
                conf = current.read().decode(errors="replace")
        except FileNotFoundError:
            conf = ""
        updated = with_search(conf, domains)
        with fs.rewrite(RESOLV_CONF) as handle:
            handle.write(updated.encode())
