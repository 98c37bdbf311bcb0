"""The sandbox's POSIX shell (busybox ``ash`` compatible, with bash extensions as ``bash``).

Importing the package registers the ``sh``, ``ash`` and ``bash`` applets.
"""

from . import main as _main  # noqa: F401  (registers the applets)
