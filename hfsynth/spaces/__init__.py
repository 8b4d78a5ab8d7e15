"""Gradio Spaces for hfsynth models: ``build_space("gansynth")`` / ``build_combined_space()``.

``spaces/<name>/app.py`` are thin wrappers around these builders. Gradio is an optional
dependency (``pip install hfsynth[spaces]``); it is imported only when an app is built.
"""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no telemetry calls from a local app

from .builders import build_combined_space, build_space, launch, load_model  # noqa: E402
from .media import spectrogram_image  # noqa: E402
from .specs import SPACES, Control, SpaceSpec, get_spec, locate_model  # noqa: E402

__all__ = [
    "SPACES",
    "Control",
    "SpaceSpec",
    "build_combined_space",
    "build_space",
    "get_spec",
    "launch",
    "load_model",
    "locate_model",
    "spectrogram_image",
]
