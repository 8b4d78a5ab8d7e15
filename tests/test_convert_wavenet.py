"""``hfsynth convert wavenet``: r9y9's wavenet_vocoder checkpoints against r9y9's own outputs.

The fixture (tests/fixtures/wavenet_r9y9/README.md) holds reference vectors made by r9y9's code at
random init: the PyPI package 0.1.1 ("v0.1": ConvTranspose2d upsampler, legacy skips) and GitHub
master ("v0.2": ConvInUpsampleNetwork), each as a mixture-of-logistics and a mu-law model, with
the checkpoints their ``train.py`` writes (rebuilt here as the original pickles). The converted
folders must give r9y9's teacher-forced outputs (raw and EMA weights), its samples for the same
recorded noise (and for the same seed), and work through the public contract.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from transformers import pipeline

import hfsynth  # noqa: F401  (registers WaveNet and the audio-to-audio task)
from hfsynth.audio import read_audio, write_audio
from hfsynth.cli import USAGE_ERROR, main
from hfsynth.conversion.wavenet_r9y9 import HPARAMS_DEFAULTS, PRESETS, convert, read_hparams
from hfsynth.models.wavenet import WaveNetModel, WaveNetPipeline
from hfsynth.models.wavenet.sampling_wavenet import GeneratorNoise, NumpyNoise, RecordedNoise
from model_tester import AudioToAudioTester

FIXTURE = Path(__file__).parent / "fixtures" / "wavenet_r9y9"
sys.path.insert(0, str(FIXTURE))
from checkpoint_layout import decode  # noqa: E402  (the fixture's own pickle-free layout reader)

#: generation -> (fixture file stem, tensor prefix).
SOURCES = {"v0.1": ("pypi_0_1_1", ""), "v0.2": ("github_master_model", "head.")}
#: What the fixture's reduced models need besides their recorded configs: their mel front end at a
#: size that fits them (8 bands, hop 4 = the upsample scales 2 x 2), so that they also vocode audio.
FRONT_END = {"num_mels": 8, "hop_size": 4, "fft_size": 64, "win_length": 64, "sample_rate": 16000}
STEP = "checkpoint_step000004002"
TOLERANCE = 1e-5


def fixture_files(generation: str) -> tuple[dict[str, torch.Tensor], dict]:
    stem, _ = SOURCES[generation]
    return load_file(FIXTURE / f"{stem}.safetensors"), json.loads((FIXTURE / f"{stem}.json").read_text())


def write_original(folder: Path, generation: str, kind: str) -> Path:
    """r9y9's files as its train.py writes them: the checkpoint, its _ema twin and the hparams JSON."""
    stem, _ = SOURCES[generation]
    tensors, info = fixture_files(generation)
    layouts = json.loads((FIXTURE / f"{stem}_checkpoints.json").read_text())[kind]
    folder.mkdir(parents=True)
    for name, layout in layouts.items():
        torch.save(decode(layout, tensors), folder / name)
    (folder / "hparams.json").write_text(json.dumps({**info["configs"][kind], **FRONT_END}))
    if generation == "v0.2":
        np.savez(folder / "meanvar.npz", mean=np.linspace(-4, -2, 8), scale=np.linspace(0.5, 1.5, 8))
    return folder


def convert_original(folder: Path, out: Path, weights: str = "ema") -> Path:
    stats = folder / "meanvar.npz"
    return convert(folder / f"{STEP}.pth", folder / "hparams.json", out, weights=weights,
                   mel_stats=stats if stats.exists() else None)


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> dict[tuple[str, str], Path]:
    root = tmp_path_factory.mktemp("r9y9")
    return {(g, k): write_original(root / f"{g}-{k}", g, k) for g in SOURCES for k in ("mol", "mulaw")}


@pytest.fixture(scope="module")
def converted(originals, tmp_path_factory) -> dict[tuple[str, str, str], Path]:
    """Every original converted twice: raw weights (Python API) and EMA weights (the CLI)."""
    root, folders = tmp_path_factory.mktemp("converted"), {}
    for (generation, kind), folder in originals.items():
        folders[generation, kind, "raw"] = convert_original(folder, root / f"{generation}-{kind}-raw", "raw")
        out = root / f"{generation}-{kind}-ema"
        argv = ["convert", "wavenet", "--checkpoint", str(folder / f"{STEP}.pth"), "--hparams",
                str(folder / "hparams.json"), "--out", str(out)]
        if generation == "v0.2":
            argv += ["--mel-stats", str(folder / "meanvar.npz")]
        assert main(argv) == 0
        folders[generation, kind, "ema"] = out
    return folders


def load(folder: Path) -> WaveNetModel:
    return WaveNetModel.from_pretrained(folder).eval()


def reference_samples(tensors: dict[str, torch.Tensor], prefix: str, kind: str) -> torch.Tensor:
    """The teacher-forced input as the network reads it: amplitudes (1, T) or codes (1, T)."""
    x = tensors[prefix + f"{kind}.input.x"]
    return x[:, 0] if kind == "mol" else x[None]


# --------------------------------------------------------------------------------- teacher forcing
@pytest.mark.parametrize("generation", list(SOURCES))
@pytest.mark.parametrize("kind", ["mol", "mulaw"])
@pytest.mark.parametrize("weights", ["raw", "ema"])
def test_teacher_forced_outputs_match_r9y9(converted, generation, kind, weights):
    model, (tensors, _) = load(converted[generation, kind, weights]), fixture_files(generation)
    prefix = SOURCES[generation][1]
    mel = tensors[prefix + f"{kind}.input.c"]
    samples = reference_samples(tensors, prefix, kind)
    with torch.no_grad():
        local, _ = model.conditioning(samples.shape[-1], mel, None, 1)
        logits = model.logits_from_features(model.input_features(samples), local, None)
    name = "forward.logits" if (kind, prefix) == ("mulaw", "") else "forward.out"
    name = "forward_ema.out" if weights == "ema" else name
    torch.testing.assert_close(logits, tensors[prefix + f"{kind}.{name}"], atol=TOLERANCE, rtol=0)
    if weights == "raw":  # the upsampled conditioning was recorded for the raw weights
        upsampled = tensors[prefix + f"{kind}.cond." + ("upsample_conv.3" if generation == "v0.1" else "upsampled")]
        torch.testing.assert_close(local, upsampled, atol=TOLERANCE, rtol=0)


def test_the_conv_in_upsampler_pads_the_mel_as_r9y9_s_synthesis(converted):
    """v0.2's features carry cin_pad frames each side; r9y9 edge-pads them, and so does hfsynth."""
    tensors, _ = fixture_files("v0.2")
    model = load(converted["v0.2", "mol", "raw"])
    mel, padded = tensors["head.mol.input.c"], tensors["head.mol.input.c_padded"]
    context = model.config.upsample_context
    assert torch.equal(padded[:, :, context:-context], mel)
    with torch.no_grad():
        torch.testing.assert_close(model.upsampler.conv_in(padded), tensors["head.mol.cond.conv_in"], atol=TOLERANCE,
                                   rtol=0)
        torch.testing.assert_close(model.upsampler(mel), tensors["head.mol.cond.upsampled"], atol=TOLERANCE, rtol=0)


# -------------------------------------------------------------------------------------- generation
def generation_mel(tensors: dict[str, torch.Tensor], prefix: str, kind: str, model: WaveNetModel) -> torch.Tensor:
    if prefix == "":
        return tensors[f"{kind}.generate.c"]
    context = model.config.upsample_context
    return tensors[f"head.{kind}.generate.c_padded"][:, :, context:-context]


def generate(model: WaveNetModel, mel: torch.Tensor, **kwargs) -> torch.Tensor:
    return model.sample_waveform(mel.shape[-1] * model.config.hop_length, mel=mel, **kwargs)[0]


@pytest.mark.parametrize("generation", list(SOURCES))
def test_mixture_generation_with_r9y9_s_noise_gives_its_samples(converted, generation):
    """Incremental generation fed the recorded uniforms (and, separately, the same torch seed)."""
    tensors, info = fixture_files(generation)
    prefix = SOURCES[generation][1]
    model = load(converted[generation, "mol", "raw"])
    mel, expected = generation_mel(tensors, prefix, "mol", model), tensors[prefix + "mol.generate.output"][0, 0]
    noise = RecordedNoise(component=tensors[prefix + "mol.generate.noise.gumbel_u"],
                          logistic=tensors[prefix + "mol.generate.noise.logistic_u"])
    torch.testing.assert_close(generate(model, mel, noise=noise), expected, atol=TOLERANCE, rtol=0)
    runs = info["derived"]["mol"]["generation"]
    seed = (runs["mol"] if generation == "v0.1" else runs)["torch_manual_seed"]
    seeded = generate(model, mel, generator=torch.Generator().manual_seed(seed))
    torch.testing.assert_close(seeded, expected, atol=TOLERANCE, rtol=0)
    assert (expected.abs() == 1.0).sum() > 0  # the clipping is exercised


@pytest.mark.parametrize("generation, noise_of", [
    ("v0.1", lambda t: RecordedNoise(choice=t["mulaw.generate.noise.u"])),
    ("v0.1", lambda t: NumpyNoise(22)),                                          # np.random.seed(22)
    ("v0.2", lambda t: RecordedNoise(race=t["head.mulaw.generate.noise.exponential_q"])),
    ("v0.2", lambda t: GeneratorNoise(torch.Generator().manual_seed(122))),      # torch.manual_seed(122)
])
def test_mulaw_generation_with_r9y9_s_noise_gives_its_codes(converted, generation, noise_of):
    tensors, _ = fixture_files(generation)
    prefix = SOURCES[generation][1]
    model = load(converted[generation, "mulaw", "raw"])
    mel = generation_mel(tensors, prefix, "mulaw", model)
    expected = model.audio_from_samples(tensors[prefix + "mulaw.generate.output_codes"])
    assert torch.equal(generate(model, mel, noise=noise_of(tensors)), expected)


def test_v0_1_starts_from_code_128_and_its_function_default_127_is_an_option(converted):
    """synthesis.py starts from mulaw_quantize(0, 256) = 128 (the converted default); r9y9's
    incremental_forward alone starts from 127 (recorded with numpy seed 23)."""
    tensors, _ = fixture_files("v0.1")
    model = load(converted["v0.1", "mulaw", "raw"])
    assert model.initial_samples(1, 1).item() == tensors["mulaw.generate.initial_input"][0, 0].argmax().item() == 128
    model.config.initial_code = 127
    mel = tensors["mulaw.generate.c"]
    codes = tensors["mulaw.generate.default_initial.output_codes"]
    assert torch.equal(generate(model, mel, noise=NumpyNoise(23)), model.audio_from_samples(codes))


def test_naive_and_incremental_generation_agree_on_a_converted_model(converted):
    model = load(converted["v0.2", "mol", "ema"])
    mel = torch.rand(1, 8, 12)
    fast = model.sample_waveform(32, mel=mel, generator=torch.Generator().manual_seed(0))
    slow = model.sample_waveform(32, mel=mel, generator=torch.Generator().manual_seed(0), incremental=False)
    torch.testing.assert_close(fast, slow, atol=1e-5, rtol=0)


# ------------------------------------------------------------------------------- public contract
class VocoderPipeline(WaveNetPipeline):
    """WaveNetPipeline called the way the shared audio-to-audio tests call pipelines."""

    def __call__(self, audio, sampling_rate=None, **kwargs):
        return super().__call__(audio=audio, sampling_rate=sampling_rate, **kwargs)


class SamplingAudioToAudioTester(AudioToAudioTester):
    """The shared audio-to-audio contract for models that sample (vocoders, music translation): the
    two tests that compare two calls draw the same noise in both."""

    half_dtypes = (torch.bfloat16,)

    def test_hfsynth_s_pipeline_and_transformers_agree(self, model, folder):
        rate = model.config.sampling_rate
        torch.manual_seed(5)
        ours = self.pipeline_class.from_pretrained(folder)(self.audio(rate), sampling_rate=rate)
        torch.manual_seed(5)
        theirs = pipeline("audio-to-audio", model=folder)({"raw": self.audio(rate), "sampling_rate": rate})
        np.testing.assert_allclose(ours.audios.squeeze(), theirs["audio"], atol=1e-5)

    def test_the_pipeline_saves_and_loads_every_component(self, model, tmp_path):
        pipe, rate = self.pipeline_class(model), model.config.sampling_rate
        pipe.save_pretrained(tmp_path)
        loaded = self.pipeline_class.from_pretrained(tmp_path)
        assert set(loaded.components) == set(pipe.components)
        outputs = [p(self.audio(rate), sampling_rate=rate, generator=torch.Generator().manual_seed(1)).audios
                   for p in (loaded, pipe)]
        np.testing.assert_array_equal(*outputs)


class TestConvertedVocoderContract(SamplingAudioToAudioTester):
    """The shared audio-to-audio contract, on r9y9's v0.1 mixture model converted."""

    pipeline_class = VocoderPipeline

    @pytest.fixture(scope="class")
    def model(self, tmp_path_factory):
        root = tmp_path_factory.mktemp("contract")
        return load(convert_original(write_original(root / "original", "v0.1", "mol"), root / "converted"))

    def audio(self, rate: int) -> np.ndarray:
        return super().audio(rate)[: rate // 50]   # 20 ms: generation runs one sample at a time


@pytest.mark.parametrize("generation", list(SOURCES))
def test_transformers_pipeline_vocodes_audio_at_the_input_s_length(converted, generation):
    folder = converted[generation, "mol", "ema"]
    rate = load(folder).config.sampling_rate
    wave = (0.4 * np.sin(2 * np.pi * 220 * np.arange(700) / rate)).astype(np.float32)
    torch.manual_seed(0)
    out = pipeline("audio-to-audio", model=str(folder))({"raw": wave, "sampling_rate": rate})
    assert out["sampling_rate"] == rate and out["audio"].shape == (700,) and out["audio"].dtype == np.float32
    assert np.isfinite(out["audio"]).all() and 0 < np.abs(out["audio"]).max() <= 1.0


def test_transformers_pipeline_takes_reduced_precision_weights_at_load_time(converted):
    """``model_kwargs={"incremental_weights": ...}`` reaches the config; the same noise then draws
    nearly the same waveform (MoL draws move continuously with the mixture's parameters)."""
    folder = converted["v0.1", "mol", "ema"]
    wave = (0.4 * np.sin(2 * np.pi * 220 * np.arange(300) / load(folder).config.sampling_rate)).astype(np.float32)
    outputs = {}
    for precision in ("float32", "float16"):
        pipe = pipeline("audio-to-audio", model=str(folder), model_kwargs={"incremental_weights": precision})
        assert pipe.model.config.incremental_weights == precision
        torch.manual_seed(0)
        outputs[precision] = pipe({"raw": wave, "sampling_rate": load(folder).config.sampling_rate})["audio"]
    assert not np.array_equal(outputs["float16"], outputs["float32"])
    np.testing.assert_allclose(outputs["float16"], outputs["float32"], atol=1e-2)


def test_vocoding_reports_its_progress(converted):
    pipe = WaveNetPipeline.from_pretrained(converted["v0.1", "mulaw", "ema"])
    seen = []
    pipe.progress_bar = lambda iterable=None, total=None: seen.append(total) or iterable
    pipe(audio=np.zeros(300, np.float32), generator=torch.Generator().manual_seed(0))
    assert seen == [pipe.model.mel_lead_in + 300]  # the lws lead-in is generated, then cut


def test_hfsynth_transform_runs_a_converted_vocoder(converted, tmp_path):
    folder = converted["v0.2", "mulaw", "ema"]
    rate = load(folder).config.sampling_rate
    wav = write_audio(tmp_path / "in.wav", 0.3 * np.sin(np.arange(500) * 0.2).astype(np.float32), rate)
    assert main(["transform", "--model", str(folder), "--in", str(wav), "--out", str(tmp_path / "out.wav")]) == 0
    audio, out_rate = read_audio(tmp_path / "out.wav")
    assert out_rate == rate and audio.shape == (500,)


def test_the_folder_carries_a_card_naming_the_source_and_licence(converted):
    card = (converted["v0.1", "mol", "ema"] / "README.md").read_text()
    assert "license: mit" in card and "pipeline_tag: audio-to-audio" in card
    assert f"{STEP}_ema.pth" in card and "r9y9's wavenet_vocoder (v0.1)" in card


def test_ema_weights_are_used_when_their_twin_is_present(converted, originals, tmp_path):
    """The CLI folders above came from the _ema twin; given the _ema file itself, the same."""
    ema = load(converted["v0.1", "mol", "ema"]).state_dict()
    raw = load(converted["v0.1", "mol", "raw"]).state_dict()
    assert not torch.equal(ema["head_out.weight"], raw["head_out.weight"])
    folder = originals["v0.1", "mol"]
    direct = convert(folder / f"{STEP}_ema.pth", folder / "hparams.json", tmp_path / "direct", weights="raw")
    assert all(torch.equal(tensor, load(direct).state_dict()[key]) for key, tensor in ema.items())


# ------------------------------------------------------------------------------------ hparams
@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_resolve_to_r9y9_s_preset_files(name):
    generation, _ = PRESETS[name]
    stem = {"v0.1": "presets_", "v0.2": "egs_"}[generation]
    original = json.loads((FIXTURE / "presets" / f"{stem}{name}.json").read_text())
    resolved = read_hparams(name, generation)
    assert {key: resolved[key] for key in original if key in resolved} == {
        key: value for key, value in original.items() if key in resolved}


@pytest.mark.parametrize("generation, recorded", [("v0.1", "github_frontend_v0_1_1"), ("v0.2", "github_frontend_head")])
def test_hparams_defaults_are_r9y9_s(generation, recorded):
    defaults = json.loads((FIXTURE / f"{recorded}.json").read_text())["hparams_defaults_hparams_py"]
    ours = HPARAMS_DEFAULTS[generation]
    assert {key: defaults[key] for key in ours} == ours


# ------------------------------------------------------------------------------------ bad input
class RunsCode:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def original_state(originals) -> tuple[Path, dict]:
    folder = originals["v0.1", "mol"]
    return folder, torch.load(folder / f"{STEP}.pth", weights_only=True)


def failing_conversion(path: Path, hparams: Path, out: Path, **kwargs) -> ValueError:
    with pytest.raises(ValueError) as error:
        convert(path, hparams, out, weights="raw", **kwargs)
    assert not out.exists() or (out / "kept.txt").exists()   # nothing half-written
    return error.value


@pytest.mark.parametrize("damage, message", [
    (lambda ckpt: pickle.dumps({"state_dict": RunsCode()}), "asks to run code"),
    (lambda ckpt: b"PK\x03\x04 a zip cut short", "truncated or not a torch checkpoint"),
    (lambda ckpt: {"model": ckpt["state_dict"]}, "has no 'state_dict'"),
    (lambda ckpt: {"state_dict": {"encoder.weight": torch.zeros(3)}}, "holds no r9y9 WaveNet"),
    (lambda ckpt: {"state_dict": {k: v for k, v in ckpt["state_dict"].items() if k != "last_conv_layers.3.bias"}},
     r"nothing for head_out\.bias"),
    (lambda ckpt: {"state_dict": {**ckpt["state_dict"], "stray.weight": torch.zeros(1)}},
     r"no place for stray\.weight"),
    (lambda ckpt: {"state_dict": {k: v for k, v in ckpt["state_dict"].items() if k != "first_conv.weight_v"}},
     r"first_conv\.weight_g has no first_conv\.weight_v"),
])
def test_bad_checkpoints_are_named_and_leave_nothing(originals, tmp_path, damage, message):
    folder, checkpoint = original_state(originals)
    path, damaged = tmp_path / "bad.pth", damage(checkpoint)
    path.write_bytes(damaged) if isinstance(damaged, bytes) else torch.save(damaged, path)
    error = failing_conversion(path, folder / "hparams.json", tmp_path / "out")
    assert "bad.pth" in str(error) and re.search(message, str(error))


def test_hparams_that_do_not_fit_the_weights_are_named(originals, tmp_path):
    folder = originals["v0.1", "mol"]
    hparams = json.loads((folder / "hparams.json").read_text())
    cases = {
        "layers": ({"layers": 8, "stacks": 2}, r"needs \['conv_layers\.6\.conv\.bias'.*which the checkpoint lacks"),
        "channels": ({"residual_channels": 32}, r"shapes differ:.*input_conv\.weight"),
        "hop": ({"hop_size": 8}, "multiply to 4, not the hop size 8"),
        "mels": ({"num_mels": 80}, r"num_mels \(80\) must equal cin_channels \(8\)"),
        "input": ({"input_type": "mulaw"}, "input_type 'mulaw' is not supported"),
        "generation": ({"upsample_net": "ConvInUpsampleNetwork"}, "v0.2 hparams file; the checkpoint is a v0.1 model"),
    }
    for name, (change, message) in cases.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({**hparams, **change}))
        out = tmp_path / "out"
        out.mkdir(exist_ok=True)
        (out / "kept.txt").write_text("kept")
        error = failing_conversion(folder / f"{STEP}.pth", path, out)
        assert re.search(message, str(error)), (name, error)


def test_bad_hparams_sources_are_named(originals, tmp_path):
    folder = originals["v0.1", "mol"]
    (tmp_path / "broken.json").write_text("{not json")
    for hparams, message in [(tmp_path / "broken.json", "broken.json is not an hparams JSON file"),
                             ("no_such_preset", r"not a preset \(ljspeech_mixture"),
                             ("mol_wavenet", "'mol_wavenet' is a v0.2 preset; the checkpoint is a v0.1 model")]:
        with pytest.raises(ValueError, match=message):
            convert(folder / f"{STEP}.pth", hparams, tmp_path / "out")


def test_a_v0_2_checkpoint_needs_its_mel_statistics(originals, tmp_path):
    folder = originals["v0.2", "mol"]
    with pytest.raises(ValueError, match="needs --mel-stats"):
        convert(folder / f"{STEP}.pth", folder / "hparams.json", tmp_path / "out")
    np.savez(tmp_path / "short.npz", mean=np.zeros(3), scale=np.ones(3))
    with pytest.raises(ValueError, match="one value per mel band"):
        convert(folder / f"{STEP}.pth", folder / "hparams.json", tmp_path / "out", mel_stats=tmp_path / "short.npz")


def test_the_cli_reports_bad_input_with_exit_code_2(originals, tmp_path, capsys):
    folder = originals["v0.1", "mol"]
    code = main(["convert", "wavenet", "--checkpoint", str(tmp_path / "absent.pth"), "--hparams",
                 str(folder / "hparams.json"), "--out", str(tmp_path / "out")])
    assert code == USAGE_ERROR and "checkpoint file not found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
