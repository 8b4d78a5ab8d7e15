"""The combined hfsynth Space: one tab per model whose folder is available (``python spaces/hfsynth/app.py``).

Each model is looked for in its shipped folder under ``pipelines/`` (``SpaceSpec.model_folder``); ``HFSYNTH_MODEL_<NAME>`` (``HFSYNTH_MODEL_GANSYNTH``,
``HFSYNTH_MODEL_NOTE_CLASSIFIER``, ...) names another folder or a Hub id. Models without a folder are
listed on the page instead of failing the app.
"""

import os

from hfsynth.spaces import build_combined_space, launch

demo = build_combined_space()

if __name__ == "__main__":
    launch(demo, host=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
