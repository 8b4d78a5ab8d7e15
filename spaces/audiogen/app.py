"""AudioGen Space: the Gradio app of ``pipelines/audiogen-tiny`` (``python spaces/audiogen/app.py``).

The model folder defaults to ``pipelines/audiogen-tiny`` in this repository; ``HFSYNTH_MODEL`` names another
folder or a Hub id. Everything else lives in :mod:`hfsynth.spaces`.
"""

import os

from hfsynth.spaces import build_space, launch

demo = build_space("audiogen", model=os.environ.get("HFSYNTH_MODEL"))

if __name__ == "__main__":
    launch(demo, host=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
