"""hfsynth's model families. Importing this package registers every model with transformers."""

from .registration import REGISTERED_MODELS, register_model

__all__ = ["REGISTERED_MODELS", "register_model"]
