"""hfsynth's model families. Importing this package registers every model with transformers."""

from .registration import REGISTERED_MODELS, register_model
from . import audiogen  # noqa: E402,F401
from . import gansynth  # noqa: E402,F401
from . import music_translation  # noqa: E402,F401
from . import musika  # noqa: E402,F401
from . import note_classifier  # noqa: E402,F401  (each model folder registers itself)
from . import separation  # noqa: E402,F401
from . import style_transfer  # noqa: E402,F401
from . import wavenet  # noqa: E402,F401

__all__ = ["REGISTERED_MODELS", "register_model"]
