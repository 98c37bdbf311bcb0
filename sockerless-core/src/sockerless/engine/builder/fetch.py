"""ADD of a URL: the file is downloaded for real (http and https), as dockerd does."""

from __future__ import annotations

import email.utils
import os
import posixpath
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from ...api.errors import InvalidParameter

TIMEOUT = 60.0


def is_url(source: str) -> bool:
    """True for a source ADD downloads."""
    return source.startswith(("http://", "https://"))


def download(url: str, directory: Path) -> tuple[Path, str]:
    """Fetch ``url`` into ``directory``; ``(path, name)`` with the name from the URL's path.

    The file gets mode 0600 and the server's ``Last-Modified`` time, as with dockerd.
    """
    parsed = urllib.parse.urlsplit(url)
    name = posixpath.basename(parsed.path.rstrip("/")) or parsed.hostname or "download"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response, open(path, "wb") as handle:
            while chunk := response.read(1 << 20):
                handle.write(chunk)
            modified = response.headers.get("Last-Modified")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InvalidParameter(f"failed to download {url}: {reason}") from None
    os.chmod(path, 0o600)
    if modified:
        try:
            moment = email.utils.parsedate_to_datetime(modified).timestamp()
            os.utime(path, (moment, moment))
        except (TypeError, ValueError):
            pass
    return path, name
