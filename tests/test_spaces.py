"""The Gradio Spaces: each ``spaces/<name>/app.py`` starts on localhost with a tiny model, answers
``gradio_client`` (20 requests at once too), turns bad input into a Gradio error, and works when
driven in headless Chromium (Debian's ``/usr/bin/chromium``, no browser downloads)."""

from __future__ import annotations

import base64
import io
import os
import runpy
import socket
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hfsynth.audio import write_audio
from hfsynth.cli import main
from hfsynth.spaces.specs import SPACES, Control, get_spec, locate_model, missing_model_message

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
APPS = ["gansynth", "audiogen", "wavenet", "musika", "style-transfer", "separation", "note-classifier"]
TEXT_INPUTS = {"gansynth": ("a bright piano note", 3, 0.25, 60), "audiogen": ("a soft piano note", 1, 0.5, 3.0),
               "musika": ("dense", 2, 0.5, 0.8)}
SILENCE_RMS = 1e-4  # -80 dBFS: a random tiny Musika is quiet (about 2e-4) but not silent; digital silence is 0


def rms_of_wav(data: bytes | str) -> float:
    audio, _ = sf.read(io.BytesIO(data) if isinstance(data, bytes) else data, dtype="float32")
    return float(np.sqrt(np.mean(np.square(audio))))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------------------ no server needed
def test_space_cli_help_and_user_errors(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["space", "--help"])
    assert exit_info.value.code == 0 and "note-classifier" in capsys.readouterr().out
    assert main(["space", "no-such-model"]) == 2
    assert "unknown space 'no-such-model'; choose one of: gansynth" in capsys.readouterr().err
    assert main(["space", "gansynth", "--share"]) == 2
    assert "share links are not supported" in capsys.readouterr().err
    assert main(["space", "hfsynth", "--model", "x"]) == 2
    assert main(["space", "gansynth", "--port", "0"]) == 2


@pytest.mark.parametrize("name", [*SPACES, "hfsynth"])
def test_every_space_folder_is_a_gradio_space(name):
    """``spaces/<name>/`` = app.py + requirements.txt + a README whose YAML header Hugging Face reads."""
    from huggingface_hub import metadata_load

    folder = ROOT / "spaces" / name
    header = metadata_load(folder / "README.md")
    assert header["sdk"] == "gradio" and header["app_file"] == "app.py" and (folder / "app.py").is_file()
    major = int(header["sdk_version"].split(".")[0])
    assert major >= 5 and (name == "hfsynth" or header["models"] == [f"USER/{get_spec(name).default_folder.name}"])
    requirements = (folder / "requirements.txt").read_text()
    assert "./hfsynth-" in requirements and ".whl[spaces]" in requirements   # the wheel push uploads beside it
    app = (folder / "app.py").read_text()
    assert ("build_combined_space()" if name == "hfsynth" else f'build_space("{name}"') in app


def test_controls_refuse_values_outside_their_range():
    pitch = Control("pitch", "Pitch", 24, 96, 60, 1, config_range=("pitch_min", "pitch_max"))
    assert pitch.check(60.0) == 60 and isinstance(pitch.check(60.0), int)
    with pytest.raises(ValueError, match="Pitch must be from 24 to 96; got 97"):
        pitch.check(97)
    with pytest.raises(ValueError, match="must be a number"):
        pitch.check(None)

    class Config:
        pitch_min, pitch_max = 48, 72

    narrowed = pitch.for_config(Config())
    assert (narrowed.minimum, narrowed.maximum, narrowed.value) == (48, 72, 60)


def test_a_missing_default_folder_is_explained(monkeypatch):
    spec = replace(get_spec("musika"), name="never-shipped", model_folder=None)
    monkeypatch.delenv(spec.env_var, raising=False)
    location = locate_model(spec)
    assert not location.found and location.source.endswith("pipelines/never-shipped")
    message = missing_model_message(spec, location)
    assert "pipelines/never-shipped" in message and "hfsynth space never-shipped --model PATH" in message
    monkeypatch.setenv(spec.env_var, "/some/folder")
    assert locate_model(spec).found and locate_model(spec).source == "/some/folder"
    with pytest.raises(ValueError, match="unknown space 'nope'"):
        get_spec("nope")


def test_spectrogram_image_is_an_rgb_picture_of_the_audio():
    from hfsynth.spaces import spectrogram_image

    t = np.arange(8000) / 8000
    tone = spectrogram_image([0.5 * np.sin(2 * np.pi * 1000 * t)], 8000)
    silence = spectrogram_image([np.zeros(8000)], 8000)
    assert tone.dtype == np.uint8 and tone.ndim == 3 and tone.shape[2] == 3
    assert tone.std() > 10 and silence.std() < tone.std()
    stems = spectrogram_image([np.sin(2 * np.pi * 500 * t), np.sin(2 * np.pi * 2000 * t[:4000])], 8000)
    assert stems.shape[0] > 2 * tone.shape[0] - 1 and stems.shape[1] == tone.shape[1]


# ------------------------------------------------------------------------------ running apps
@pytest.fixture(scope="module")
def gradio():
    return pytest.importorskip("gradio")


@pytest.fixture(scope="module")
def folders(tmp_path_factory, gradio) -> dict[str, str]:
    from space_models import build_all

    folders = build_all(tmp_path_factory.mktemp("space-models"))
    folders["note-classifier"] = str(ROOT / "pipelines" / "note-classifier")
    return folders


def start(demo) -> str:
    from hfsynth.spaces import launch

    _, url, _ = launch(demo, port=free_port(), prevent_thread_lock=True)
    return url


@pytest.fixture(scope="module")
def apps(folders):
    """``{name: url}`` of each ``spaces/<name>/app.py`` and of the combined ``spaces/hfsynth/app.py``."""
    demos, urls = [], {}
    for name in APPS:
        os.environ["HFSYNTH_MODEL"] = folders[name]
        try:
            demo = runpy.run_path(str(ROOT / "spaces" / name / "app.py"))["demo"]
        finally:
            del os.environ["HFSYNTH_MODEL"]
        demos.append(demo)
        urls[name] = start(demo)
    env = {SPACES[name].env_var: folder for name, folder in folders.items()}
    os.environ.update(env)
    try:
        combined = runpy.run_path(str(ROOT / "spaces" / "hfsynth" / "app.py"))["demo"]
    finally:
        for key in env:
            del os.environ[key]
    demos.append(combined)
    urls["hfsynth"] = start(combined)
    yield urls
    for demo in demos:
        demo.close()


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, str]:
    """A 0.25 s tone (fits every Space) and a 3 s one (longer than the WaveNet Space takes)."""
    folder = tmp_path_factory.mktemp("clips")
    t = np.arange(int(3 * 16000)) / 16000
    tone = (0.3 * np.sin(2 * np.pi * 261.63 * t) * np.exp(-2 * t)).astype(np.float32)
    return {"short": str(write_audio(folder / "short.wav", tone[:4000], 16000)),
            "long": str(write_audio(folder / "long.wav", tone, 16000))}


def client_for(url: str):
    from gradio_client import Client

    return Client(url, verbose=False)


def call(client, name: str, clips: dict[str, str], **overrides):
    from gradio_client import handle_file

    api = "/" + name.replace("-", "_")
    if name in TEXT_INPUTS:
        return client.predict(*overrides.get("inputs", TEXT_INPUTS[name]), api_name=api)
    return client.predict(handle_file(overrides.get("clip", clips["short"])), api_name=api)


def test_an_app_without_its_model_starts_and_says_so(gradio, monkeypatch):
    from hfsynth.spaces import build_space

    spec = get_spec("musika")
    monkeypatch.setitem(SPACES, "musika", replace(spec, name="never-shipped", model_folder=None))
    monkeypatch.delenv("HFSYNTH_MODEL_NEVER_SHIPPED", raising=False)
    demo = build_space("musika")
    texts = [block.get("props", {}).get("value") or "" for block in demo.config["components"]]
    assert any("No Musika model yet" in str(text) and "pipelines/never-shipped" in str(text) for text in texts)


@pytest.mark.parametrize("name", APPS)
def test_each_app_answers_with_non_silent_audio(apps, clips, name):
    result = call(client_for(apps[name]), name, clips)
    if name == "note-classifier":
        label, picture = result
        assert label["label"] and len(label["confidences"]) == 5 and Path(picture).is_file()
        return
    *audio_paths, picture, download = result
    assert all(rms_of_wav(path) > SILENCE_RMS for path in audio_paths) and Path(picture).is_file()
    if name == "separation":                                        # one player and one download per stem
        assert len(audio_paths) == len(download) == 3
    else:
        assert Path(download).read_bytes() == Path(audio_paths[0]).read_bytes()


def test_a_class_conditioned_wavenet_gets_the_text_to_audio_page(folders, tmp_path):
    from space_models import save_wavenet_classes

    from hfsynth.spaces import build_space

    demo = build_space("wavenet", model=save_wavenet_classes(tmp_path / "classes"))
    try:
        audio_path, _, _ = client_for(start(demo)).predict("a string note", 4, 0.1, api_name="/wavenet")
    finally:
        demo.close()
    audio, rate = sf.read(audio_path, dtype="float32")
    assert rate == 2000 and audio.shape == (200,) and rms_of_wav(audio_path) > SILENCE_RMS


def test_a_folder_of_the_wrong_model_is_refused_by_name(folders, capsys):
    from hfsynth.spaces import build_combined_space

    assert main(["space", "gansynth", "--model", folders["note-classifier"]]) == 2
    assert "holds a hfsynth_note_classifier model; the gansynth Space shows hfsynth_gansynth" in capsys.readouterr().err
    demo = build_combined_space({"gansynth": folders["note-classifier"], "musika": folders["musika"]})
    texts = " ".join(str(block.get("props", {}).get("value") or "") for block in demo.config["components"])
    assert "holds a hfsynth_note_classifier model" in texts                  # its tab explains ...
    names = {dependency.get("api_name") for dependency in demo.config["dependencies"]}
    assert "musika" in names and "gansynth" not in names                     # ... and the others still work


def test_the_combined_app_has_a_tab_per_available_model(apps, clips):
    client = client_for(apps["hfsynth"])
    endpoints = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert endpoints == {"/" + name.replace("-", "_") for name in APPS}
    audio_path, _, _ = call(client, "gansynth", clips)
    assert rms_of_wav(audio_path) > SILENCE_RMS


@pytest.mark.parametrize("name, overrides, message", [
    ("gansynth", {"inputs": ("C4", 3, 0.25, 99)}, "greater than maximum value 72"),     # the tiny model's range
    ("gansynth", {"inputs": ("C4", -1, 0.25, 60)}, "Seed must be from 0"),
    ("gansynth", {"inputs": ("C4", 0, 60.0, 60)}, "greater than maximum value 4"),
    ("audiogen", {"inputs": ("x" * 600, 0, 0.5, 3.0)}, "keep it under 500"),
    ("audiogen", {"inputs": ("a dog", 0, 0.5, 0.5)}, "less than minimum value 1"),
    ("wavenet", {"clip": "long"}, "lasts 3.0 s; this Space takes at most 1 s"),
])
def test_out_of_range_inputs_are_gradio_errors_not_crashes(apps, clips, name, overrides, message):
    from gradio_client.exceptions import AppError

    client = client_for(apps[name])
    if "clip" in overrides:
        overrides = {"clip": clips[overrides["clip"]]}
    with pytest.raises(AppError, match=message):
        call(client, name, clips, **overrides)
    assert rms_of_wav(call(client, name, clips)[0]) > SILENCE_RMS            # the app still serves


def test_twenty_concurrent_requests_all_succeed(apps, clips):
    client = client_for(apps["gansynth"])
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda seed: call(client, "gansynth", clips, inputs=("a note", seed, 0.25, 60)),
                                range(20)))
    levels = [rms_of_wav(audio_path) for audio_path, _, _ in results]
    assert len(results) == 20 and min(levels) > SILENCE_RMS
    assert len({Path(audio_path).read_bytes() for audio_path, _, _ in results}) == 20   # one take per seed


# ------------------------------------------------------------------------------ headless Chromium
@pytest.fixture(scope="module")
def browser(apps):
    if not CHROMIUM.is_file():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium chromium-driver; .ci/run does)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


FETCH_AUDIO = """async (audio) => {
    const bytes = new Uint8Array(await (await fetch(audio.src)).arrayBuffer());
    let text = ""; for (const b of bytes) text += String.fromCharCode(b);
    return btoa(text);
}"""


@pytest.mark.parametrize("name", APPS)
def test_each_app_works_in_headless_chromium(apps, browser, name):
    page = browser.new_page()
    try:
        page.goto(apps[name], timeout=60_000)
        if name in TEXT_INPUTS:
            page.get_by_label("Prompt").fill(TEXT_INPUTS[name][0])
            page.get_by_label("Seed").fill("5")
            page.get_by_role("button", name="Generate").click()
        else:
            page.get_by_text("piano-c4").first.click()                     # an example clip fills the input
            page.wait_for_selector("audio[src]", state="attached", timeout=30_000)
            button = {"note-classifier": "Classify", "separation": "Separate"}.get(name, "Transform")
            page.get_by_role("button", name=button).click()
        if name == "note-classifier":
            families = ("bass", "brass", "flute", "guitar", "keyboard", "mallet", "organ", "reed", "string", "synth",
                        "vocal")
            output = page.locator("#note-classifier-output")
            output.get_by_text("%").first.wait_for(timeout=60_000)
            assert any(family in output.inner_text() for family in families)
            return
        output_id = f"#{name}-output" if name in TEXT_INPUTS else f"#{name}-output-0"
        audio = page.wait_for_selector(f"{output_id} audio[src]", state="attached", timeout=60_000)
        assert rms_of_wav(base64.b64decode(audio.evaluate(FETCH_AUDIO))) > SILENCE_RMS
    finally:
        page.close()


def test_each_space_looks_for_its_shipped_folder_by_default():
    assert get_spec("separation").default_folder.name == "separation-small"
    assert get_spec("style-transfer").default_folder.name == "styletransfer-piano-to-strings"
    assert get_spec("note-classifier").default_folder.name == "note-classifier"
