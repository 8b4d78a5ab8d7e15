"""hfsynth: classic neural audio generators as first-class Hugging Face models.

``import hfsynth`` registers every model with transformers' Auto classes and the
``audio-to-audio`` task with ``transformers.pipeline``, so that

    pipeline("text-to-audio", model="pipelines/<name>")
    pipeline("audio-to-audio", model="pipelines/<name>")

load hfsynth checkpoints like any other Hub model. The ``hfsynth`` command registers them only
when a command needs them (:func:`register`), so ``hfsynth --help`` starts without importing
torch or transformers.
"""

from __future__ import annotations

import os

__version__ = "0.1.0"

#: Set (to "1") by the ``hfsynth`` command while it imports this package; see ``hfsynth_launcher``.
DEFER_REGISTRATION = "HFSYNTH_DEFER_REGISTRATION"


def register() -> None:
    """Registers every hfsynth model and the ``audio-to-audio`` task with transformers (idempotent)."""
    from . import models, pipelines  # noqa: F401  (registration side effects)


def __getattr__(name: str):
    if name in ("REGISTERED_MODELS", "register_model"):
        from . import models

        return getattr(models, name)
    raise AttributeError(f"module 'hfsynth' has no attribute {name!r}")


if os.environ.get(DEFER_REGISTRATION) != "1":
    register()

__all__ = ["REGISTERED_MODELS", "register", "register_model", "__version__"]
