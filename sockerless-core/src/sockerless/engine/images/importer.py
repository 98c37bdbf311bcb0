"""``docker import``: one layer from a root filesystem tar, plus a config made of ``-c`` changes."""

from __future__ import annotations

from pathlib import Path

from ...api.errors import InvalidParameter
from ...api.models.images import ImageConfig, ImageRecord
from .. import reference as refs
from ..registry.platforms import Platform
from ..timeutil import now_ns, rfc3339_nano
from .changes import apply_changes
from .store import ImageStore
from .unpack import LayerFormatError


def import_rootfs(store: ImageStore, tar_path: Path, *, repo: str, tag: str, changes: list[str], message: str,
                  platform: str, source: str = "-") -> ImageRecord:
    """Create an image from the (plain or compressed) tar at ``tar_path``; tagged ``repo[:tag]`` when given."""
    target = ""
    if repo:
        ref = refs.parse(f"{repo}:{tag}" if tag else repo)
        if ref.digest:
            raise InvalidParameter("cannot import to a digest reference")
        target = ref.familiar
    config = apply_changes(ImageConfig(), changes)
    wanted = Platform.parse(platform) if platform else Platform.host()
    with open(tar_path, "rb") as stream:
        try:
            layer = store.add_layer(stream)
        except LayerFormatError as exc:
            raise InvalidParameter(str(exc)) from None
    comment = message or f"Imported from {source}"
    created = rfc3339_nano(now_ns())
    history = [{"created": created, "comment": comment}]
    return store.create_image(config, [layer.diff_id], history, [target] if target else [], created=created,
                              comment=comment, architecture=wanted.architecture, os_name=wanted.os,
                              variant=wanted.variant, source="import")
