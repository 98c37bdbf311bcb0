"""Entry point frozen by build-static.sh (the same as ``python -m sockerless_agent``)."""

import sys

from sockerless_agent.cli import main

sys.exit(main())
