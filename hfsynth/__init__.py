"""hfsynth: classic neural audio generators as first-class Hugging Face models.

``import hfsynth`` registers every model with transformers' Auto classes and the
``audio-to-audio`` task with ``transformers.pipeline``, so that

    pipeline("text-to-audio", model="pipelines/<name>")
    pipeline("audio-to-audio", model="pipelines/<name>")

load hfsynth checkpoints like any other Hub model.
"""

from . import models, pipelines  # noqa: F401  (registration side effects)
from .models import REGISTERED_MODELS, register_model

__version__ = "0.1.0"

__all__ = ["REGISTERED_MODELS", "register_model", "__version__"]
