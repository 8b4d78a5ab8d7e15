"""Gradio Spaces for hfsynth models: ``build_space("gansynth")`` / ``build_combined_space()``.

``spaces/<name>/app.py`` are thin wrappers around these builders. Gradio is an optional
dependency (``pip install hfsynth[spaces]``); it is imported only when an app is built.
"""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no telemetry calls from a local app

from .._lazy import lazy_exports  # noqa: E402

_EXPORTS = {
    "build_combined_space": "builders", "build_space": "builders", "launch": "builders", "load_model": "builders",
    "spectrogram_image": "media",
    "SPACES": "specs", "Control": "specs", "SpaceSpec": "specs", "get_spec": "specs", "locate_model": "specs",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
