"""Source separation Space: the Gradio app of ``pipelines/separation-small`` (``python spaces/separation/app.py``).

The model folder defaults to ``pipelines/separation-small`` in this repository; ``HFSYNTH_MODEL`` names another
folder or a Hub id. Everything else lives in :mod:`hfsynth.spaces`.
"""

import os

from hfsynth.spaces import build_space, launch

demo = build_space("separation", model=os.environ.get("HFSYNTH_MODEL"))

if __name__ == "__main__":
    launch(demo, host=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
