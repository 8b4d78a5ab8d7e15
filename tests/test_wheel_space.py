"""A real user's path, offline: the hfsynth wheel installed in a fresh venv outside the checkout,
a model pushed to (and cached from) the Hub, and the Space ``hfsynth push --space`` publishes for it,
started from its own folder and driven with ``gradio_client``.

Slow (it builds a venv and installs hfsynth and its dependencies into it), so it is marked ``wheel``:
``.ci/run`` runs it after the fast tests (``pytest -m wheel``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import soundfile as sf

from hfsynth.hub import REPO_PLACEHOLDER
from hfsynth.spaces.publishing import build_wheel, plan_space, write_space
from hub_cache import REVISION

pytestmark = pytest.mark.wheel
ROOT = Path(__file__).resolve().parent.parent
MODEL_ID, MODEL = "you/gansynth-small", ROOT / "pipelines" / "gansynth-small"
TORCH = os.environ.get("TORCH_VERSION", "2.13.0")


def run(command: list[str], **kwargs) -> str:
    finished = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert finished.returncode == 0, f"{' '.join(command)}\n{finished.stdout[-2000:]}\n{finished.stderr[-2000:]}"
    return finished.stdout


@pytest.fixture(scope="module")
def user(tmp_path_factory) -> dict[str, Path]:
    """A fresh venv with the wheel (and its Space extra) installed, far from the checkout."""
    home = tmp_path_factory.mktemp("user")
    wheel = build_wheel(home / "dist")
    venv = home / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    run([str(python), "-m", "pip", "install", "-q", f"torch=={TORCH}"])       # the CPU wheel, before hfsynth
    run([str(python), "-m", "pip", "install", "-q", f"{wheel}[spaces]"])
    return {"home": home, "python": python, "wheel": wheel}


def hub_cache(cache: Path) -> dict[str, str]:
    """``MODEL_ID`` as a user who downloaded it once has it; the env that points the Hub client there."""
    snapshot = cache / f"models--{MODEL_ID.replace('/', '--')}" / "snapshots" / REVISION
    snapshot.mkdir(parents=True)
    for path in MODEL.iterdir():
        (snapshot / path.name).write_bytes(path.read_bytes())
    card = (ROOT / "model_cards" / "gansynth-small.md").read_text()
    (snapshot / "README.md").write_text(REPO_PLACEHOLDER.sub(MODEL_ID, card))
    (snapshot.parent.parent / "refs").mkdir()
    (snapshot.parent.parent / "refs" / "main").write_text(REVISION)
    return {"HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_installed_package_has_no_path_into_the_checkout(user):
    out = run([str(user["python"]), "-c", "import hfsynth, sys; print(hfsynth.__file__); "
               "from transformers import pipeline; print(type(pipeline('text-to-audio', model=sys.argv[1])).__name__)",
               str(MODEL)], cwd=user["home"])
    assert str(ROOT) not in out.splitlines()[0] and "TextToAudioPipeline" in out
    assert run([str(user["home"] / "venv" / "bin" / "hfsynth"), "--version"], cwd=user["home"]).startswith("hfsynth ")


def test_a_published_space_runs_from_its_own_folder_on_the_hub_model(user, tmp_path):
    from gradio_client import Client

    space = write_space(plan_space("gansynth", MODEL_ID, user["wheel"]), tmp_path / "space")
    assert (space / "requirements.txt").read_text().startswith(f"./{user['wheel'].name}[spaces]")
    port = free_port()
    env = {**os.environ, **hub_cache(tmp_path / "hub"), "GRADIO_SERVER_NAME": "127.0.0.1",
           "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    env.pop("PYTHONPATH", None)
    server = subprocess.Popen([str(user["python"]), "app.py"], cwd=space, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        client = connect(f"http://127.0.0.1:{port}/", server)
        wav, _image, _download = client.predict("a bright piano note", 3, 0.25, 60, api_name="/gansynth")
        audio, rate = sf.read(wav, dtype="float32")
        assert rate == 16000 and audio.shape == (4000,) and abs(audio).max() > 1e-3
    finally:
        server.terminate()
        server.wait(timeout=30)


def connect(url: str, server: subprocess.Popen, timeout_s: float = 180.0):
    """A gradio_client for the app once it answers; the app's output if it dies or never does."""
    from gradio_client import Client

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the Space app exited with {server.returncode}:\n{server.stdout.read()[-3000:]}")
        try:
            return Client(url, verbose=False)
        except Exception:  # noqa: BLE001  (not up yet)
            time.sleep(2)
    server.kill()
    pytest.fail(f"the Space app did not answer in {timeout_s:.0f} s:\n{server.stdout.read()[-3000:]}")
