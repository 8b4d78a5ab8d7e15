"""``hfsynth convert gansynth``: magenta's GANSynth checkpoint (and its tfjs copy) -> an hfsynth folder
that plays the notes magenta's own code plays.

The reference vectors (tests/fixtures/gansynth_magenta/, see its README.md) were made by magenta 2.1.4
itself at a reduced width (blocks of 8, 8, 8, 8, 8, 8, 4 filters): its training checkpoint, its tfjs
copy, and its outputs for two latents at MIDI 24 and 84. Those layers are so narrow that float32
rounding is amplified where a pixel's 4-8 features are all small: a float64 run of hfsynth differs
from magenta's float32 output by as much as hfsynth's float32 run does (1.1e-3 against 1.3e-3 in
the de-normalised log magnitude), so the tolerances below are the ones that rounding leaves; at
width 32 (make_fixture.py --fmap-base 1024 --fmap-max 32) the same comparison gives 1.1e-4 / 1.8e-5
/ 4.1e-4 (magnitude, IF, audio at peak 3.3).
"""

import json
import os
import shutil
import struct
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import torch
from safetensors.torch import load_file
from transformers import pipeline

from hfsynth.cli import USAGE_ERROR, main
from hfsynth.conversion.gansynth_magenta import convert
from hfsynth.conversion.tf_checkpoint import TABLE_MAGIC, TFCheckpoint, crc32c, masked_crc32c
from hfsynth.models.gansynth import GANSynthGenerator, GANSynthPipeline
from hfsynth.models.gansynth.modeling_gansynth import DECLICK_IN_S, fit_note_length
from hfsynth.pipelines.contract import finalize_audio
from model_tester import GeneratorTester

#: ``HFSYNTH_GANSYNTH_FIXTURE``: vectors the fixture script wrote at another width (a one-off check).
FIXTURE = Path(os.environ.get("HFSYNTH_GANSYNTH_FIXTURE", Path(__file__).resolve().parent / "fixtures" / "gansynth_magenta"))
STAGE = FIXTURE / "acoustic_only" / "stage_00012"
PREFIX = STAGE / "model.ckpt-11000000"
EMA = "/ExponentialMovingAverage"
FIRST_KERNEL = "Generator/progressive_gan_generator/progressive_gan_block_1/conv0/conv2d/kernel"


@pytest.fixture(scope="module")
def reference() -> dict[str, torch.Tensor]:
    return load_file(FIXTURE / "generator_io.safetensors")


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    return convert(FIXTURE / "acoustic_only", tmp_path_factory.mktemp("converted") / "gansynth")


@pytest.fixture(scope="module")
def model(converted) -> GANSynthGenerator:
    return GANSynthGenerator.from_pretrained(converted).eval()


def magenta_layout(spectrogram: torch.Tensor) -> torch.Tensor:
    """hfsynth's (B, 2, rows = mel, frames) -> magenta's (B, frames, mel, 2)."""
    return spectrogram.permute(0, 3, 2, 1)


# ------------------------------------------------------------------------------ parity
def test_the_spectrograms_are_magenta_s(model, reference):
    latents, pitches = reference["inputs.latents"], reference["inputs.pitches"]
    with torch.inference_mode():
        normalized = model.spectrogram(latents, pitches)                      # the generator's tanh output
        spectrogram = magenta_layout(model.transform.denormalize(normalized))
    expected = reference["outputs.specgrams"]
    # Before de-normalisation: the network itself.
    expected_normalized = model.transform.normalize(expected.permute(0, 3, 2, 1))
    network = (normalized - expected_normalized).abs().flatten()
    assert network.amax() < 3e-4 and network.quantile(0.99) < 1e-5 and network.median() < 1e-6
    # After it ((y - b) / a, a = 0.066 for the magnitude: 15x the rounding).
    difference = (spectrogram - expected).abs()
    assert difference[..., 0].amax() < 2e-3 and difference[..., 1].amax() < 5e-4
    assert (difference > 1e-4).float().mean() < 0.01


def test_the_ema_weights_are_the_ones_converted(model, reference):
    """magenta generates with the shadows; the fixture's raw weights give another output."""
    with torch.inference_mode():
        first_frames = magenta_layout(model.transform.denormalize(
            model.spectrogram(reference["inputs.latents"], reference["inputs.pitches"])))[:, :4]
    torch.testing.assert_close(first_frames, reference["outputs.specgrams"][:, :4], atol=2e-3, rtol=0)
    raw = reference["intermediate.raw_weight_specgrams_first4"]
    assert (first_frames - raw).abs().mean() > 0.1


def test_the_notes_are_magenta_s(model, reference):
    notes = model.synthesize(reference["inputs.latents"], reference["inputs.pitches"])
    expected = reference["outputs.waves"][:, :, 0]                             # peak 5: random weights
    assert notes.shape == expected.shape == (2, 64000)
    assert (notes - expected).abs().amax() < 1.5e-3


def contract_audio(waves: torch.Tensor, rate: int) -> torch.Tensor:
    """magenta's notes as the public contract hands notes back: the last 20 ms faded, peak 1."""
    return finalize_audio(fit_note_length(waves, waves.shape[-1], round(DECLICK_IN_S * rate)))


def test_transformers_pipeline_plays_magenta_s_notes(converted, reference):
    tta = pipeline("text-to-audio", model=str(converted))
    expected = contract_audio(reference["outputs.waves"][:, :, 0], 16000)
    for index, prompt in enumerate(["C1", "C6"]):                             # MIDI 24 and 84
        out = tta(prompt, forward_params={"latents": reference["inputs.latents"][index : index + 1]})
        assert out["sampling_rate"] == 16000 and out["audio"].shape == (64000,)
        np.testing.assert_allclose(out["audio"], expected[index].numpy(), atol=1e-3, rtol=0)


def test_the_tfjs_copy_converts_to_the_same_weights(model, tmp_path):
    out = convert(FIXTURE / "tfjs", tmp_path / "from-tfjs")
    from_tfjs = GANSynthGenerator.from_pretrained(out).state_dict()
    assert from_tfjs.keys() == model.state_dict().keys()
    assert all(torch.equal(from_tfjs[key], value) for key, value in model.state_dict().items())
    assert "weights_manifest.json" in (out / "README.md").read_text()


def test_a_copy_with_only_what_magenta_js_reads_converts(model, tmp_path):
    """magenta-js reads the last block's to_rgb only; the lower ones become zeros."""
    tfjs = shutil.copytree(FIXTURE / "tfjs", tmp_path / "tfjs")
    manifest = json.loads((tfjs / "weights_manifest.json").read_text())
    stream = b"".join((tfjs / path).read_bytes() for path in manifest[0]["paths"])
    kept, data, position = [], b"", 0
    for weight in manifest[0]["weights"]:
        size = 4 * int(np.prod(weight["shape"]))
        if "to_rgb" not in weight["name"] or "block_7/" in weight["name"]:
            kept.append(weight)
            data += stream[position : position + size]
        position += size
    (tfjs / "group1-shard1of1.bin").write_bytes(data)
    for path in manifest[0]["paths"]:
        (tfjs / path).unlink()
    (tfjs / "weights_manifest.json").write_text(json.dumps([{"paths": ["group1-shard1of1.bin"], "weights": kept}]))
    assert len(kept) == 30
    state = GANSynthGenerator.from_pretrained(convert(tfjs, tmp_path / "out")).state_dict()
    for key, value in model.state_dict().items():
        lower_output = key.startswith("to_spectrogram.") and not key.startswith("to_spectrogram.6.")
        assert torch.equal(state[key], torch.zeros_like(value) if lower_output else value), key


# ------------------------------------------------------------------------ the folder
def test_the_folder_is_an_ordinary_hub_folder(converted, model):
    card = (converted / "README.md").read_text()
    assert "license: apache-2.0" in card and "magenta" in card and "model.ckpt-11000000" in card
    assert {"config.json", "model.safetensors", "README.md"} <= {path.name for path in converted.iterdir()}
    config = model.config
    assert (config.pitch_min, config.pitch_max, config.latent_size) == (24, 84, 256)
    assert config.spectral_frontend == "magenta"
    filters = json.loads((FIXTURE / "config.json").read_text())["derived"]["num_filters_per_block"]  # magenta's
    assert config.channels == [filters[str(block)] for block in range(1, 8)]            # [8] * 6 + [4] committed
    assert config.spectrogram_shape == (1024, 128)


def test_the_cli_converts_the_same(converted, tmp_path):
    out = tmp_path / "cli"
    assert main(["convert", "gansynth", "--checkpoint", str(FIXTURE / "acoustic_only"), "--out", str(out)]) == 0
    assert (out / "model.safetensors").read_bytes() == (converted / "model.safetensors").read_bytes()


def test_a_hub_id_converts(monkeypatch, tmp_path, converted):
    from hub_cache import populate_hub_cache

    populate_hub_cache(monkeypatch, tmp_path / "cache", "magenta/gansynth-acoustic",
                       {"experiment.json": FIXTURE / "acoustic_only" / "experiment.json", "stage_00012": STAGE})
    out = convert("magenta/gansynth-acoustic", tmp_path / "out")
    assert (out / "model.safetensors").read_bytes() == (converted / "model.safetensors").read_bytes()


# ---------------------------------------------------- a small magenta checkpoint, fast
def small_generator(latent_size: int = 16, widths: tuple[int, ...] = (8, 8, 8, 4)) -> dict[str, np.ndarray]:
    """What magenta's training saves for a generator of ``len(widths)`` blocks (random values): every
    variable and its EMA shadow, and a counter."""
    rng = np.random.default_rng(0)
    tensors = {"global_step": np.array(1000, np.int64)}
    for block, width in enumerate(widths, 1):
        first = (2, 16, latent_size + 61, width) if block == 1 else (3, 3, widths[block - 2], width)
        for layer, shape in (("conv0", first), ("conv1", (3, 3, width, width)), ("to_rgb", (1, 1, width, 2))):
            for name, size in (("conv2d/kernel", shape), ("bias", shape[-1:])):
                variable = f"Generator/progressive_gan_generator/progressive_gan_block_{block}/{layer}/{name}"
                tensors[variable] = rng.standard_normal(size).astype(np.float32)
                tensors[variable + EMA] = rng.standard_normal(size).astype(np.float32)
    return tensors


def small_experiment(folder: Path, **flags) -> Path:
    """A 4-block magenta experiment folder (16 frames x 128 bins: STFT 256 / 64, 1024 samples)."""
    (folder / "stage_00006").mkdir(parents=True)
    settings = json.loads((FIXTURE / "acoustic_only" / "experiment.json").read_text())
    settings.update(num_resolutions=4, audio_length=1024, latent_vector_size=16, **flags)
    (folder / "experiment.json").write_text(json.dumps(settings))
    write_tensor_bundle(folder / "stage_00006" / "model.ckpt-4000", small_generator())
    return folder


@pytest.fixture(scope="module")
def small_converted(tmp_path_factory) -> Path:
    folder = small_experiment(tmp_path_factory.mktemp("small") / "small")
    return convert(folder, folder.parent / "converted")


def test_a_small_checkpoint_gets_its_own_geometry(small_converted):
    config = GANSynthGenerator.from_pretrained(small_converted).config
    assert config.stage_resolutions == [[16, 2], [32, 4], [64, 8], [128, 16]] and config.channels == [8, 8, 8, 4]
    assert (config.stft_n_fft, config.stft_hop_length, config.num_samples, config.latent_size) == (256, 64, 1024, 16)


def test_a_linear_frequency_checkpoint_becomes_mag_if(tmp_path):
    """magenta's data_type 'linear': the same IF spectrograms without the mel warp."""
    out = convert(small_experiment(tmp_path / "linear", data_type="linear"), tmp_path / "out")
    model = GANSynthGenerator.from_pretrained(out)
    assert (model.config.representation, model.transform.specgrams.mel) == ("mag_if", False)
    assert model.generate(pitch=[60], seed=0).shape == (1, 1, 1024)


def test_slerp_and_midi_play_through_the_pipeline(small_converted):
    pipe = GANSynthPipeline.from_pretrained(small_converted)
    a, b = pipe.model.sample_latents(2, torch.Generator().manual_seed(0))
    morph = pipe(60, latents=pipe.interpolate(a, b, 3))
    assert morph.audios.shape == (3, 1024) and not np.allclose(morph.audios[0], morph.audios[1])
    score = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(program=0)
    piano.notes = [pretty_midi.Note(velocity=100, pitch=pitch, start=0.05 * i, end=0.05 * i + 0.04)
                   for i, pitch in enumerate([24, 60, 84])]
    score.instruments.append(piano)
    piece = pipe.render_midi(score, generator=torch.Generator().manual_seed(0))
    assert piece.audios.shape[0] == 1 and np.abs(piece.audios).max() > 0


def test_the_space_serves_the_converted_folder(small_converted):
    pytest.importorskip("gradio")
    from hfsynth.spaces.builders import build_space, load_model
    from hfsynth.spaces.specs import get_spec

    spec = get_spec("gansynth")
    loaded = load_model(spec, str(small_converted))
    pitch = spec.controls[0].for_config(loaded.config)
    assert (pitch.minimum, pitch.maximum) == (24, 84)
    assert build_space("gansynth", str(small_converted)) is not None


class TestConvertedGANSynth(GeneratorTester):
    """The shared generator contract, on a converted folder."""

    pipeline_class = GANSynthPipeline
    prompts = ("a bright C4", "E2")
    seconds = 0.05

    @pytest.fixture(scope="class")
    def model(self, small_converted):
        type(self).source = small_converted
        return GANSynthGenerator.from_pretrained(small_converted).eval()

    def make_model(self):
        return GANSynthGenerator.from_pretrained(self.source)


# ------------------------------------------------------------------------- bad input
def write_tensor_bundle(prefix: Path, tensors: dict[str, np.ndarray]) -> None:
    """A TensorFlow checkpoint as ``tf.train.Saver`` lays it out (one data block, one shard)."""

    def varint(value: int) -> bytes:
        out = b""
        while value >= 0x80:
            out, value = out + bytes([value & 0x7F | 0x80]), value >> 7
        return out + bytes([value])

    def field(number: int, payload: bytes | int) -> bytes:
        if isinstance(payload, int):
            return varint(number << 3) + varint(payload)
        return varint(number << 3 | 2) + varint(len(payload)) + payload

    def block(entries: list[tuple[bytes, bytes]]) -> bytes:
        body = b"".join(varint(0) + varint(len(key)) + varint(len(value)) + key + value for key, value in entries)
        body += struct.pack("<II", 0, 1)                                       # one restart point, at 0
        return body + b"\x00" + struct.pack("<I", masked_crc32c(body + b"\x00"))

    dtypes = {np.dtype(np.float32): 1, np.dtype(np.int64): 9}
    data, entries = b"", [(b"", field(1, 1) + field(3, field(1, 1)))]           # header: 1 shard, version 1
    for name in sorted(tensors):
        raw = np.ascontiguousarray(tensors[name]).astype(tensors[name].dtype.newbyteorder("<")).tobytes()
        shape = b"".join(field(2, field(1, size)) for size in tensors[name].shape)
        entry = (field(1, dtypes[tensors[name].dtype]) + field(2, shape) + field(4, len(data)) + field(5, len(raw))
                 + varint(6 << 3 | 5) + struct.pack("<I", masked_crc32c(raw)))
        entries.append((name.encode(), entry))
        data += raw
    data_block = block(entries)
    index_block = block([(entries[-1][0], varint(0) + varint(len(data_block) - 5))])
    meta_block = block([])
    handles = (varint(len(data_block) + len(index_block)) + varint(len(meta_block) - 5)
               + varint(len(data_block)) + varint(len(index_block) - 5))
    footer = handles.ljust(40, b"\x00") + struct.pack("<Q", TABLE_MAGIC)
    Path(f"{prefix}.index").write_bytes(data_block + index_block + meta_block + footer)
    Path(f"{prefix}.data-00000-of-00001").write_bytes(data)


def test_the_bundle_writer_writes_what_tensorflow_writes(tmp_path):
    """The writer the bad-input tests use, checked against the fixture (written by TensorFlow)."""
    checkpoint = TFCheckpoint(PREFIX)
    tensors = {name: checkpoint.read(name) for name in checkpoint.entries}
    write_tensor_bundle(tmp_path / "copy", tensors)
    copy = TFCheckpoint(tmp_path / "copy")
    assert copy.shapes == checkpoint.shapes
    assert all(np.array_equal(copy.read(name), value) for name, value in tensors.items())
    assert crc32c(b"123456789") == 0xE3069283                                  # the standard check value


def experiment_copy(tmp_path: Path, tensors: dict[str, np.ndarray] | None = None, **flags) -> Path:
    """The fixture's experiment folder in ``tmp_path``, with other variables or flags."""
    folder = shutil.copytree(FIXTURE / "acoustic_only", tmp_path / "acoustic_only")
    if tensors is not None:
        for path in (folder / "stage_00012").glob("model.ckpt-*"):
            path.unlink()
        write_tensor_bundle(folder / "stage_00012" / "model.ckpt-11000000", tensors)
    if flags:
        experiment = folder / "experiment.json"
        experiment.write_text(json.dumps({**json.loads(experiment.read_text()), **flags}))
    return folder


def fixture_tensors() -> dict[str, np.ndarray]:
    checkpoint = TFCheckpoint(PREFIX)
    return {name: checkpoint.read(name) for name in checkpoint.entries}


def assert_refused(source: Path, out: Path, message: str) -> None:
    """``ValueError`` matching ``message``, from Python and as a CLI error; ``out`` left as it was."""
    out.mkdir(exist_ok=True)
    (out / "old.txt").write_text("kept")
    with pytest.raises(ValueError, match=message):
        convert(source, out)
    assert main(["convert", "gansynth", "--checkpoint", str(source), "--out", str(out)]) == USAGE_ERROR
    assert [path.name for path in out.parent.iterdir() if path.name.startswith(f".{out.name}")] == []
    assert [path.name for path in out.iterdir()] == ["old.txt"]


def test_another_magenta_model_is_refused(tmp_path):
    music_vae = {"decoder/multi_rnn_cell/cell_0/lstm_cell/kernel": np.zeros((4, 8), np.float32),
                 "global_step": np.array(5, np.int64)}
    assert_refused(experiment_copy(tmp_path, music_vae), tmp_path / "out", "not a GANSynth checkpoint")


def test_missing_ema_variables_are_named(tmp_path):
    tensors = {name: value for name, value in fixture_tensors().items() if name != f"{FIRST_KERNEL}{EMA}"}
    assert_refused(experiment_copy(tmp_path, tensors), tmp_path / "out", f"no EMA copy of {FIRST_KERNEL}")


def test_stray_variables_are_named(tmp_path):
    tensors = {**fixture_tensors(), "Encoder/dense/kernel": np.zeros((2, 2), np.float32)}
    assert_refused(experiment_copy(tmp_path, tensors), tmp_path / "out", "Encoder/dense/kernel")


def test_a_truncated_data_file_is_named(tmp_path):
    folder = experiment_copy(tmp_path)
    data = folder / "stage_00012" / "model.ckpt-11000000.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:-1000])                                 # the critic's Adam slots
    assert_refused(folder, tmp_path / "out", "model.ckpt-11000000.data-00000-of-00001 is truncated")


def test_a_corrupt_data_file_is_named(tmp_path):
    folder = experiment_copy(tmp_path)
    data = folder / "stage_00012" / "model.ckpt-11000000.data-00000-of-00001"
    checkpoint = TFCheckpoint(folder / "stage_00012" / "model.ckpt-11000000")
    entry = checkpoint.entries[f"{FIRST_KERNEL}{EMA}"]
    corrupted = bytearray(data.read_bytes())
    corrupted[entry.offset + 10] ^= 0xFF
    data.write_bytes(bytes(corrupted))
    assert_refused(folder, tmp_path / "out", f"is corrupt: the checksum of {FIRST_KERNEL}{EMA}")


def test_a_truncated_index_is_named(tmp_path):
    folder = experiment_copy(tmp_path)
    index = folder / "stage_00012" / "model.ckpt-11000000.index"
    index.write_bytes(index.read_bytes()[:5000])
    assert_refused(folder, tmp_path / "out", "model.ckpt-11000000.index is not a TensorFlow checkpoint index")


def test_a_truncated_tfjs_shard_is_named(tmp_path):
    tfjs = shutil.copytree(FIXTURE / "tfjs", tmp_path / "tfjs")
    shard = sorted(tfjs.glob("group1-shard*.bin"))[-1]
    shard.write_bytes(shard.read_bytes()[:-4])
    assert_refused(tfjs, tmp_path / "out", "are truncated")


@pytest.mark.parametrize("flag, value, message", [
    ("data_type", "phase", "data_type 'phase' is not an IF spectrogram"),
    ("to_rgb_activation", "linear", "to_rgb_activation is 'linear'"),
    ("data_normalizer", "specgrams_simple_normalizer", "data_normalizer"),
    ("num_resolutions", 6, "not the final stage"),
])
def test_flags_hfsynth_cannot_follow_are_named(tmp_path, flag, value, message):
    assert_refused(experiment_copy(tmp_path, **{flag: value}), tmp_path / "out", message)


def test_a_folder_of_something_else_is_refused(tmp_path):
    (tmp_path / "other").mkdir()
    assert_refused(tmp_path / "other", tmp_path / "out", "neither magenta's GANSynth checkpoint folder")


def test_a_pitch_outside_the_checkpoint_s_range_is_named(converted, model):
    with pytest.raises(ValueError, match=r"pitch 23 .* outside this model's range C1 \(24\) to C6 \(84\)"):
        model.generate(pitch=[23], audio_length_in_s=0.05)
    tta = pipeline("text-to-audio", model=str(converted))
    with pytest.raises(ValueError, match=r"outside this model's range C1 \(24\) to C6 \(84\)"):
        tta("C7")
