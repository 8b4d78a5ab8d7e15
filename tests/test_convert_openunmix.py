"""``hfsynth convert openunmix`` against open-unmix's own outputs.

The fixture (tests/fixtures/openunmix, README.md there) holds four random-init open-unmix 1.3.0
targets at a reduced size (n_fft 512, hidden 16, max_bin 186, stereo 44.1 kHz) and what open-unmix
computed with them: the mixture STFT, each target's magnitude estimate, activations inside the
vocals network and the separated waveforms with and without the Wiener filter (and with the
residual). The tests rebuild the original folders (train.py's layout; the published weights'
layout), convert them, and compare the converted model's raw outputs (no peak normalisation) with
the recorded ones; the public contract is checked apart, through transformers' ``pipeline()``.
"""

import collections
import hashlib
import json
import os
import pickle
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from transformers import pipeline

from hfsynth.audio.resample import resample
from hfsynth.cli import USAGE_ERROR, main
from hfsynth.conversion import openunmix
from hfsynth.conversion.openunmix import PRESETS, Preset, convert
from hfsynth.models.separation import SeparationModel, SeparationPipeline
from hfsynth.pipelines import AudioPipelineOutput, finalize_audio
from hub_cache import populate_hub_cache
from model_tester import AudioToAudioTester

FIXTURE = Path(__file__).parent / "fixtures" / "openunmix"
SETTINGS = json.loads((FIXTURE / "settings.json").read_text())
LAYOUT = SETTINGS["original_layout"]
TARGETS = SETTINGS["targets"]
RATE = int(SETTINGS["audio"]["sample_rate"])
WIENER_WIN_LEN = SETTINGS["separator"]["wiener_win_len"]
#: The STFT open-unmix 1.0 saved in its networks (the published umx/umxhq files have these keys).
V1_EXTRA_KEYS = {"sample_rate": torch.tensor(44100.0), "stft.window": torch.hann_window(512),
                 "transform.0.window": torch.hann_window(512)}


@pytest.fixture(scope="module")
def vectors() -> dict[str, torch.Tensor]:
    return load_file(FIXTURE / "vectors.safetensors")


def target_state(target: str) -> collections.OrderedDict:
    """``OpenUnmix.state_dict()`` as torch.save pickled it: recorded key order and ``_metadata``."""
    weights = load_file(FIXTURE / "weights.safetensors")
    layout = LAYOUT["pth"][target]
    state = collections.OrderedDict((key, weights[f"{target}.{key}"]) for key in layout["key_order"])
    state._metadata = collections.OrderedDict((key, dict(value)) for key, value in layout["_metadata"].items())
    return state


def write_original(folder: Path, targets: list[str] = TARGETS) -> Path:
    """The model folder open-unmix's train.py writes: separator.json, <target>.json, <target>.pth."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "separator.json").write_text(LAYOUT["separator.json_text"])
    for target in targets:
        (folder / f"{target}.json").write_text(json.dumps(LAYOUT["target_json"][target], indent=4, sort_keys=True))
        torch.save(target_state(target), folder / f"{target}.pth")
    return folder


def write_published(folder: Path) -> Path:
    """Published weights alone: v1.0 state dicts named <target>-<sha256[:8]>.pth, no JSON."""
    folder.mkdir(parents=True, exist_ok=True)
    for target in TARGETS:
        path = folder / f"{target}.pth"
        torch.save(collections.OrderedDict({**target_state(target), **V1_EXTRA_KEYS}), path)
        path.rename(folder / f"{target}-{hashlib.sha256(path.read_bytes()).hexdigest()[:8]}.pth")
    return folder


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> Path:
    return write_original(tmp_path_factory.mktemp("umx") / "model")


@pytest.fixture(scope="module")
def converted(original, tmp_path_factory) -> Path:
    return convert(str(original), tmp_path_factory.mktemp("converted") / "umx", wiener_win_len=WIENER_WIN_LEN)


@pytest.fixture(scope="module")
def model(converted) -> SeparationModel:
    return SeparationModel.from_pretrained(converted).eval()


def separated(folder: Path) -> torch.Tensor:
    """The raw stems (no peak normalisation) the folder's model gives the fixture's input."""
    audio = load_file(FIXTURE / "vectors.safetensors")["audio"]
    return SeparationModel.from_pretrained(folder).eval().separate(audio)


def assert_within(actual: torch.Tensor, expected: torch.Tensor, tolerance: float) -> None:
    assert actual.shape == expected.shape
    difference = float((actual - expected).abs().max())
    assert difference <= tolerance, f"max |difference| {difference:.3g} > {tolerance}"


# ------------------------------------------------------------------------------ parity
def test_the_folder_is_open_unmix_s_model(model):
    config = model.config
    assert config.architecture == "openunmix" and config.stem_names == TARGETS and config.residual is None
    assert (config.sampling_rate, config.audio_channels, config.n_fft, config.hop_length) == (RATE, 2, 512, 128)
    assert (config.max_bin, config.hidden_size, config.lstm_layers, config.bidirectional) == (186, 16, 3, True)
    assert (config.niter, config.wiener_win_len) == (1, WIENER_WIN_LEN)


def test_magnitude_estimates_match(model, vectors):
    with torch.no_grad():
        for target in TARGETS:
            expected = vectors[f"estimate.{target}"]         # peaks of 100-180: float32 LSTMs round
            assert_within(model.openunmix.targets[target](vectors["mix_mag"]), expected,  # per CPU (AVX2/512)
                          1e-5 * float(expected.abs().max()))


def test_activations_inside_a_network_match(model, vectors):
    network, seen = model.openunmix.targets["vocals"], {}
    hooks = [network.fc1.register_forward_pre_hook(lambda _m, args: seen.__setitem__("fc1_in", args[0])),
             *(getattr(network, name).register_forward_hook(lambda _m, _a, out, name=name: seen.__setitem__(name, out))
               for name in ("bn1", "lstm", "bn2"))]
    with torch.no_grad():
        network(vectors["mix_mag"])
    for hook in hooks:
        hook.remove()
    assert_within(seen["fc1_in"], vectors["intermediate.vocals.fc1_in"], 1e-5)
    assert_within(seen["bn1"], vectors["intermediate.vocals.bn1_out"], 1e-5)
    assert_within(seen["lstm"][0], vectors["intermediate.vocals.lstm_out"], 1e-5)                 # (frames, 1, 2 x 8)
    assert_within(seen["bn2"], vectors["intermediate.vocals.bn2_out"], 1e-5)


@pytest.mark.parametrize("run, niter", [("separate.niter0", 0), ("separate.niter1", 1)])
def test_separated_waveforms_match_with_and_without_the_wiener_filter(model, vectors, run, niter):
    assert_within(model.separate(vectors["audio"], niter=niter), vectors[run], 1e-4)


def test_a_residual_stem_matches(original, vectors, tmp_path):
    out = convert(str(original), tmp_path / "out", wiener_win_len=WIENER_WIN_LEN, residual="residual")
    residual = SeparationModel.from_pretrained(out)
    assert residual.config.stem_names == [*TARGETS, "residual"] and list(residual.openunmix.targets) == TARGETS
    assert_within(separated(out), vectors["separate.niter1_residual"], 1e-4)


def test_the_cli_converts_the_same(original, vectors, tmp_path):
    out = tmp_path / "cli"
    code = main(["convert", "openunmix", "--checkpoint", str(original), "--wiener-win-len", str(WIENER_WIN_LEN),
                 "--out", str(out)])
    assert code == 0 and (out / "config.json").is_file() and (out / "model.safetensors").is_file()
    assert_within(separated(out), vectors["separate.niter1"], 1e-4)
    card = (out / "README.md").read_text()
    assert "license: other" in card and "Open-Unmix" in card and "pipeline_tag: audio-to-audio" in card


def test_targets_without_other_and_the_residual_other(original, model, vectors, tmp_path):
    """open-unmix's Separator({vocals, drums, bass}, residual=True) is the 4-network model's residual="other"
    (checked against open-unmix once, not recorded in the fixture)."""
    out = convert(str(original), tmp_path / "out", targets="vocals,drums,bass", residual="other",
                  wiener_win_len=WIENER_WIN_LEN)
    three = SeparationModel.from_pretrained(out)
    assert three.config.stem_names == TARGETS and list(three.openunmix.targets) == ["vocals", "drums", "bass"]
    torch.testing.assert_close(separated(out), model.separate(vectors["audio"], residual="other"))


def test_published_weights_convert_with_a_preset(monkeypatch, vectors, tmp_path):
    """umxhq's layout (hashed names, v1.0's STFT keys, no JSON) at the fixture's size."""
    monkeypatch.setitem(PRESETS, "fixture", Preset(tuple(TARGETS), 512, 128, 2, RATE, 16))
    out = convert(str(write_published(tmp_path / "published")), tmp_path / "out", preset="fixture",
                  wiener_win_len=WIENER_WIN_LEN)
    assert_within(separated(out), vectors["separate.niter1"], 1e-4)
    assert "license: mit" in (out / "README.md").read_text()


def test_a_hub_id_converts_from_the_cache(monkeypatch, original, model, tmp_path):
    populate_hub_cache(monkeypatch, tmp_path / "cache", "sigsep/umx-fixture",
                       {path.name: path for path in original.iterdir()})
    loaded = SeparationModel.from_pretrained(convert("sigsep/umx-fixture", tmp_path / "out",
                                                     wiener_win_len=WIENER_WIN_LEN))
    for key, tensor in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], tensor), key


def test_the_presets_are_open_unmix_s_hard_coded_settings():
    sizes = SETTINGS["reference_sizes"]  # recorded from openunmix/__init__.py and utils.bandwidth_to_max_bin
    assert PRESETS["umxhq"].max_bin == sizes["umxhq_max_bin"] == 1487
    assert replace(PRESETS["umx"], record=PRESETS["umxhq"].record) == PRESETS["umxhq"]  # umx: same settings
    for name in ("umxhq", "umxl", "umxse"):
        preset, recorded = PRESETS[name], sizes[name]
        assert (preset.n_fft, preset.hop_length, preset.hidden_size, preset.channels, preset.sampling_rate) == (
            recorded["n_fft"], recorded["n_hop"], recorded["hidden_size"], recorded["nb_channels"],
            recorded["sample_rate"])
    assert PRESETS["umxse"].max_bin == sizes["umxse"]["max_bin"] and PRESETS["umxse"].targets == ("speech", "noise")
    assert PRESETS["umxl"].license == "cc-by-nc-sa-4.0"


def test_a_preset_builds_the_published_shapes():
    settings = openunmix.preset_settings("umxhq", None)
    with torch.device("meta"):
        network = SeparationModel(openunmix.build_config(settings, 1487, None, 1, 300)).openunmix.targets["vocals"]
    shapes = {key: tuple(tensor.shape) for key, tensor in network.state_dict().items()}
    assert shapes["fc1.weight"] == (512, 2 * 1487) and shapes["fc3.weight"] == (2 * 2049, 512)
    assert shapes["lstm.weight_ih_l2_reverse"] == (4 * 256, 512) and shapes["output_mean"] == (2049,)
    assert len(shapes) == 46


# ------------------------------------------------------------------------------ the contract
def stacked(out: dict) -> np.ndarray:
    return np.stack([out["stems"][name] for name in TARGETS])


def test_pipeline_answers_four_named_stereo_stems(converted, vectors):
    separate = pipeline("audio-to-audio", model=str(converted))
    audio = vectors["audio"][0].numpy()                                            # (2, samples)
    out = separate({"raw": audio, "sampling_rate": RATE})
    assert out["sampling_rate"] == RATE and list(out["stems"]) == TARGETS
    assert all(stem.dtype == np.float32 and stem.shape == audio.shape for stem in out["stems"].values())
    # the contract's peak normalisation (one gain for all stems) of open-unmix's own waveforms
    np.testing.assert_allclose(stacked(out), finalize_audio(vectors["separate.niter1"])[0].numpy(), atol=1e-4)
    without = separate({"raw": audio, "sampling_rate": RATE}, niter=0)          # forward params reach the model
    np.testing.assert_allclose(stacked(without), finalize_audio(vectors["separate.niter0"])[0].numpy(), atol=1e-4)


def test_pipeline_residual_other_completes_the_mixture(converted, vectors):
    audio = vectors["audio"][0].numpy()
    out = pipeline("audio-to-audio", model=str(converted))({"raw": audio, "sampling_rate": RATE}, niter=0,
                                                           residual="other")
    stems = stacked(out)
    gain = np.abs(audio).max() / np.abs(stems.sum(axis=0)).max()                  # undo the shared peak gain
    np.testing.assert_allclose(gain * stems.sum(axis=0), audio, atol=1e-4)


def test_pipeline_resamples_and_upmixes_the_input_and_answers_at_its_rate(converted):
    t = np.arange(22050) / 22050
    mono = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)               # 1 s, mono, 22.05 kHz
    separate = pipeline("audio-to-audio", model=str(converted))
    out = separate({"raw": mono, "sampling_rate": 22050})
    assert out["sampling_rate"] == 22050 and all(stem.shape == (2, 22050) for stem in out["stems"].values())
    assert max(np.abs(stem).max() for stem in out["stems"].values()) <= 1.0
    at_model_rate = separate({"raw": resample(mono, 22050, RATE), "sampling_rate": RATE})
    for name, stem in out["stems"].items():                                       # the same stems, resampled back
        expected = resample(at_model_rate["stems"][name], RATE, 22050)
        assert np.abs(stem - expected)[:, 100:-100].max() < 0.05 * np.abs(expected).max() + 1e-6


def test_the_separation_space_accepts_a_converted_folder(converted):
    from hfsynth.spaces.builders import load_model, uploaded_audio
    from hfsynth.spaces.specs import get_spec

    spec = get_spec("separation")
    loaded = load_model(spec, str(converted))
    upload = (RATE, (np.random.default_rng(0).normal(0, 3000, (RATE // 2, 2))).astype(np.int16))  # Gradio's layout
    samples, rate = uploaded_audio(upload, spec.max_seconds)
    out = loaded.pipe({"raw": samples, "sampling_rate": rate})
    assert list(out["stems"]) == TARGETS and out["stems"]["bass"].shape == (2, RATE // 2)


class TestConvertedOpenUnmix(AudioToAudioTester):
    """The shared audio-to-audio contract, half precision included, for a converted folder."""

    pipeline_class = SeparationPipeline
    channels = 2

    def make_model(self):
        with tempfile.TemporaryDirectory() as folder:
            out = convert(str(write_original(Path(folder) / "model")), Path(folder) / "out")
            return SeparationModel.from_pretrained(out)


# ------------------------------------------------------------------------------ bad input
class RunsCode:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def broken_copy(original: Path, folder: Path, target: str, state=None, raw: bytes | None = None) -> Path:
    """``original`` with ``<target>.pth`` replaced by ``state`` (pickled) or by ``raw`` bytes."""
    write_original(folder)
    path = folder / f"{target}.pth"
    if raw is not None:
        path.write_bytes(raw)
    else:
        torch.save(state, path)
    return folder


def without(state: dict, key: str) -> collections.OrderedDict:
    return collections.OrderedDict((k, v) for k, v in state.items() if k != key)


@pytest.mark.parametrize("target, state, message", [
    ("bass", lambda: without(target_state("bass"), "bn3.running_var"),
     r"bass.pth does not fit the model: nothing for bn3.running_var"),
    ("drums", lambda: {**target_state("drums"), "fc4.weight": torch.zeros(3)},
     r"drums.pth does not fit the model: no place for fc4.weight"),
    ("other", lambda: {"conv.weight": torch.zeros(3, 3)}, r"other.pth does not fit the model: nothing for input_mean"),
    ("vocals", lambda: {"state_dict": target_state("vocals"), "epoch": 3},  # train.py's .chkpnt, renamed
     r"vocals.pth is not an Open-Unmix state dict"),
])
def test_checkpoints_that_do_not_fit_are_named(original, tmp_path, target, state, message):
    folder = broken_copy(original, tmp_path / "model", target, state())
    with pytest.raises(ValueError, match=message):
        convert(str(folder), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_code_and_truncated_pickles_are_refused(original, tmp_path):
    code = broken_copy(original, tmp_path / "code", "vocals", raw=pickle.dumps({"input_mean": RunsCode()}, protocol=2))
    with pytest.raises(ValueError, match="vocals.pth asks to run code"):
        convert(str(code), tmp_path / "out")
    truncated = broken_copy(original, tmp_path / "cut", "bass", raw=(original / "bass.pth").read_bytes()[:300])
    with pytest.raises(ValueError, match="bass.pth is truncated or not a torch checkpoint"):
        convert(str(truncated), tmp_path / "out")


def test_settings_that_do_not_fit_the_weights_are_named(original, tmp_path):
    folder = write_original(tmp_path / "model")
    settings = json.loads((folder / "drums.json").read_text())
    settings["args"]["hidden_size"] = 32
    (folder / "drums.json").write_text(json.dumps(settings))
    with pytest.raises(ValueError, match=r"targets differ in hidden_size"):
        convert(str(folder), tmp_path / "out")
    for target in TARGETS:
        (folder / f"{target}.json").write_text(json.dumps(settings))
    with pytest.raises(ValueError, match=r"vocals.pth does not fit the model: .*shapes differ: fc1.weight \(16, 372\) "
                                         r"\(.*expected \(32, 372\)\)"):
        convert(str(folder), tmp_path / "out")
    settings["args"]["nfft"] = 1024
    (folder / "bass.json").write_text(json.dumps(settings))
    with pytest.raises(ValueError, match=r"bass.json: nfft 1024 differs from separator.json's 512"):
        convert(str(folder), tmp_path / "out")


def test_missing_files_and_layouts_are_named(original, tmp_path):
    folder = write_original(tmp_path / "model")
    (folder / "drums.pth").unlink()
    with pytest.raises(ValueError, match=r"no weights for target 'drums'"):
        convert(str(folder), tmp_path / "out")
    with pytest.raises(ValueError, match="has separator.json; --preset is for folders of published weights alone"):
        convert(str(original), tmp_path / "out", preset="umxhq")
    bare = write_published(tmp_path / "bare")
    with pytest.raises(ValueError, match=r"no separator.json: name the published model's settings with --preset"):
        convert(str(bare), tmp_path / "out")
    with pytest.raises(ValueError, match=r"input_mean has 186 bins; umxhq reads 1487"):
        convert(str(bare), tmp_path / "out", preset="umxhq")
    with pytest.raises(ValueError, match=r"residual 'vocals' is a target"):
        convert(str(original), tmp_path / "out", residual="vocals")
    assert not (tmp_path / "out").exists()


def test_a_failed_conversion_leaves_the_output_folder_as_it_was(original, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "kept.txt").write_text("kept")
    folder = broken_copy(original, tmp_path / "model", "other", without(target_state("other"), "fc2.weight"))
    with pytest.raises(ValueError, match="fc2.weight"):
        convert(str(folder), out)
    assert [path.name for path in out.iterdir()] == ["kept.txt"]


def test_the_cli_reports_bad_input_with_exit_code_2(original, tmp_path, capsys):
    folder = broken_copy(original, tmp_path / "model", "bass", raw=(original / "bass.pth").read_bytes()[:300])
    code = main(["convert", "openunmix", "--checkpoint", str(folder), "--out", str(tmp_path / "out")])
    assert code == USAGE_ERROR and "bass.pth is truncated or not a torch checkpoint" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
