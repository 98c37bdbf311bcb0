"""Images: the content-addressed store, registry pull and push, save/load/import, rendering.

Public API for other parts of the daemon (build, commit, backends): :class:`ImageStore`
(add layers, create images, resolve references, layer paths) and :class:`LayerInfo`.
"""

from .render import image_history, image_inspect, image_summary
from .service import BuiltinImage, ImageService, ProgressLine
from .store import ImageStore, LayerInfo

__all__ = ["BuiltinImage", "ImageService", "ImageStore", "LayerInfo", "ProgressLine", "image_history", "image_inspect",
           "image_summary"]
