"""The image configurations the memory backend gives its built-in rootfs, per image name.

Every name gets the same busybox-style root filesystem; what differs is the config an
image of that name would normally have (its default command), so that ``docker run
alpine`` starts ``/bin/sh`` and ``docker run busybox`` starts ``sh``, as they do.
"""

from __future__ import annotations

from sockerless.api.models.images import ImageConfig
from sockerless.engine.images import BuiltinImage

from . import rootfs
from .sandbox.exec import DEFAULT_PATH

_DEFAULT_COMMANDS = {
    "alpine": ["/bin/sh"],
    "busybox": ["sh"],
    "debian": ["bash"],
    "ubuntu": ["/bin/bash"],
}


def _repository(reference: str) -> str:
    name = reference.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name = name[:colon]
    return name.rsplit("/", 1)[-1]


def builtin_image(reference: str) -> BuiltinImage:
    """The built-in image offered for ``reference`` (a familiar ``name:tag``)."""
    command = _DEFAULT_COMMANDS.get(_repository(reference), ["/bin/sh"])
    config = ImageConfig(Env=[f"PATH={DEFAULT_PATH}"], Cmd=command)
    return BuiltinImage(build=rootfs.build, config=config,
                        description="built-in rootfs of the memory backend (busybox-style, no package manager)")
