"""``python -m hfsynth ...``: the same as the ``hfsynth`` command."""

import sys

from .cli import main

sys.exit(main())
