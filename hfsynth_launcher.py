"""The ``hfsynth`` command's entry point.

``import hfsynth`` registers every model with transformers, which imports torch and transformers:
seconds before anything is printed. The command needs that only for the commands that load models,
so it imports the package with registration deferred, and :func:`hfsynth.cli.main` registers once a
command other than ``--help``/``--version`` runs. The deferral is undone at once, so nothing the
command starts (training workers, Spaces) inherits it.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ["HFSYNTH_DEFER_REGISTRATION"] = "1"
    try:
        from hfsynth.cli import main as run
    finally:
        del os.environ["HFSYNTH_DEFER_REGISTRATION"]
    sys.exit(run())


if __name__ == "__main__":
    main()
