"""``hfsynth convert musika``: the authors' Keras release -> a folder whose outputs are theirs.

tests/fixtures/musika/ holds ``.h5`` files written by Musika's own code (reduced widths, random
weights) in the release's layout, the inputs and outputs of every network, the generate path and
the audio path, and every AddNoise draw (its README explains each tensor). The tests copy the
files into the authors' ``checkpoints/ae`` + ``checkpoints/techno`` layout, convert them (Python and
CLI, folder and Hub id), load the result with ``from_pretrained`` / ``pipeline()``, replay the
recorded noise and compare. Keras' layout is (batch, 1, time, channels), hfsynth's the same without
the unit axis; the authors split and rejoin items through the batch axis, which the helpers here undo.
The parity tests also run on tests/fixtures/musika_22khz/ (the authors' ``22kHz/`` release, same
tensors); the rest of the 22 kHz release's tests are in test_convert_musika_22khz.py.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from transformers import pipeline

import hfsynth  # noqa: F401  (registers the models)
from hfsynth.cli import USAGE_ERROR, main
from hfsynth.conversion.musika import convert, file_modules, read_keras_weights
from hfsynth.models.musika import MusikaPipeline, MusikaReleaseGenerator
from hfsynth.models.musika.generation_musika_release import CoordinatePath
from hfsynth.models.musika.layers_musika_release import RecordedNoise
from hub_cache import populate_hub_cache

FIXTURE = Path(__file__).parent / "fixtures" / "musika"
FIXTURE_22KHZ = Path(__file__).parent / "fixtures" / "musika_22khz"
MODULE_TOLERANCE, AUDIO_TOLERANCE = 1e-4, 1e-3
#: fixture -> the truncation its generate path was recorded with (22 kHz: the demo's default slider).
PARITY_FIXTURES = {"44khz": (FIXTURE, 2.0), "22khz": (FIXTURE_22KHZ, 0.885)}
WEIGHT_FILES = ("ae/enc.h5", "ae/dec.h5", "ae/enc2.h5", "ae/dec2.h5", "techno/gen_ema.h5")


def release_layout(tmp: Path, fixture: Path = FIXTURE) -> tuple[Path, Path]:
    """The fixture's files where the authors' download_networks puts them: checkpoints/ae, checkpoints/techno."""
    ae, techno = tmp / "checkpoints" / "ae", tmp / "checkpoints" / "techno"
    shutil.copytree(fixture / "weights" / "ae", ae)
    shutil.copytree(fixture / "weights" / "techno", techno)
    return ae, techno


@dataclass
class Release:
    """One converted fixture and what its parity tests read."""

    model: MusikaReleaseGenerator
    tensors: dict[str, torch.Tensor]
    layer_modules: dict[str, str]        # every Keras layer name -> hfsynth module path (what noise sources see)
    truncation: float


def load_tensors(fixture: Path) -> dict[str, torch.Tensor]:
    return {name: value for file in ("modules_io", "audio_path", "noise")
            for name, value in load_file(fixture / f"{file}.safetensors").items()}


def fixture_layer_modules(fixture: Path, variant: str) -> dict[str, str]:
    names = {}
    for file in WEIGHT_FILES:
        names |= file_modules(read_keras_weights(fixture / "weights" / file), variant, small=False)[1]
    return names


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    ae, techno = release_layout(tmp_path_factory.mktemp("release"))
    return convert(ae, techno, tmp_path_factory.mktemp("out") / "musika-techno")


@pytest.fixture(scope="module", params=sorted(PARITY_FIXTURES))
def release(request, tmp_path_factory) -> Release:
    fixture, truncation = PARITY_FIXTURES[request.param]
    ae, techno = release_layout(tmp_path_factory.mktemp("release"), fixture)
    model = MusikaReleaseGenerator.from_pretrained(convert(ae, techno, tmp_path_factory.mktemp("out") / "musika")).eval()
    assert model.config.variant == request.param
    return Release(model, load_tensors(fixture), fixture_layer_modules(fixture, request.param), truncation)


# ------------------------------------------------------------------------------ layout helpers
def split_halves(x: torch.Tensor) -> torch.Tensor:
    """The authors' ``concat(split(x, 2, time), batch)``: (N, 2T, C) -> (2N, T, C), first halves first."""
    return torch.cat(x.chunk(2, dim=1))


def join_halves(x: torch.Tensor) -> torch.Tensor:
    """The authors' ``concat(split(x, 2, batch), time)``: (2N, T, C) -> (N, 2T, C), item i = [i || i + N]."""
    return torch.cat(x.chunk(2), dim=1)


def noise_of(tensors: dict, call: str, layer_modules: dict[str, str], order: list[int] | None = None) -> dict:
    """The recorded draws of one call, (N, 1, W, 1) -> (N, W, 1), under hfsynth's layer names."""
    prefix = f"noise.{call}."
    draws = {}
    for key, value in tensors.items():
        if key.startswith(prefix) and key.count(".") == prefix.count(".") + 1:
            draw = value[:, 0]
            draws[layer_modules[key.rsplit(".", 1)[-1]]] = draw if order is None else draw[order]
    return draws


def block_order(chunks: int) -> list[int]:
    """hfsynth decodes blocks in time order; the authors' distribute_dec2 / distribute_dec put the
    first halves of all chunks first: position i of theirs holds block 2i (i < chunks) or 2(i - chunks) + 1."""
    theirs = [2 * i for i in range(chunks)] + [2 * i + 1 for i in range(chunks)]
    return [theirs.index(block) for block in range(2 * chunks)]


# --------------------------------------------------------------------------------- networks
def test_the_encoder_matches_the_authors(release):
    spectrogram = release.tensors["enc.input"][..., 0].transpose(1, 2)           # (2, 128 frames, bins)
    ours = release.model.autoencoder.encoder(spectrogram)                        # (2, 128, 64; 128 at 22 kHz)
    torch.testing.assert_close(split_halves(ours)[:, None], release.tensors["enc.output"], atol=MODULE_TOLERANCE, rtol=0)


def test_the_decoder_matches_the_authors(release):
    tensors = release.tensors
    noise = RecordedNoise(noise_of(tensors, "dec", release.layer_modules))
    magnitude, phase = release.model.autoencoder.decoder(tensors["dec.input"][:, 0], noise)   # (4, 64, bins) each
    torch.testing.assert_close(join_halves(magnitude), tensors["dec.output_mag"], atol=MODULE_TOLERANCE, rtol=0)
    torch.testing.assert_close(join_halves(phase), tensors["dec.output_phase"], atol=MODULE_TOLERANCE, rtol=0)


def test_the_second_encoder_matches_the_authors(release):
    ours = release.model.autoencoder.encoder2(release.tensors["enc2.input"][:, 0])   # (2, 8, 64; 16 at 22 kHz)
    torch.testing.assert_close(split_halves(ours)[:, None], release.tensors["enc2.output"], atol=MODULE_TOLERANCE, rtol=0)


def test_the_second_decoder_matches_the_authors(release):
    tensors = release.tensors
    noise = RecordedNoise(noise_of(tensors, "dec2", release.layer_modules))
    ours = release.model.autoencoder.decoder2(tensors["dec2.input"][:, 0], noise)   # (4, 64, 64; 128 at 22 kHz)
    torch.testing.assert_close(join_halves(ours)[:, None], tensors["dec2.output"], atol=MODULE_TOLERANCE, rtol=0)


def test_the_generator_matches_the_authors(release):
    tensors = release.tensors
    noise = RecordedNoise(noise_of(tensors, "gen", release.layer_modules))
    ours = release.model(split_halves(tensors["gen.input"]), noise).latents     # (4, 128, 128): 4 segments
    torch.testing.assert_close(join_halves(ours)[:, None], tensors["gen.output"], atol=MODULE_TOLERANCE, rtol=0)


# ------------------------------------------------------------------------------ whole paths
def test_the_coordinate_path_and_its_latents_match_the_authors(release):
    tensors, model = release.tensors, release.model
    draws = tensors["generate.truncated_normal_draws"]                           # style, then the anchors
    path = CoordinatePath(model.config, truncation=release.truncation, anchors=draws[1:])
    coordinates = torch.cat([path.frames(0, 256), draws[:1].expand(256, -1)], dim=1)
    torch.testing.assert_close(coordinates, tensors["generate.coords"][0], atol=1e-6, rtol=0)
    noise = RecordedNoise(noise_of(tensors, "generate.gen", release.layer_modules))
    latents = model(split_halves(coordinates[None]), noise).latents             # the window's two segments
    torch.testing.assert_close(join_halves(latents)[:, None], tensors["generate.latents"],
                               atol=MODULE_TOLERANCE, rtol=0)


def test_audio_from_the_same_latents_matches_the_authors(release):
    tensors = release.tensors
    order = block_order(chunks=2)
    draws = {}
    for network in ("dec2", "dec"):
        per_channel = [noise_of(tensors, f"audio.ch{c}.{network}", release.layer_modules, order) for c in (0, 1)]
        draws |= {name: torch.cat([per_channel[0][name], per_channel[1][name]]) for name in per_channel[0]}
    audio = release.model.autoencoder.decode(tensors["audio.latents"][:, 0], RecordedNoise(draws))
    expected = tensors["audio.waveform"].T                                       # (2, 66304)
    assert audio.shape == (1, *expected.shape)
    torch.testing.assert_close(audio[0], expected, atol=AUDIO_TOLERANCE, rtol=0)
    assert (audio[0] - expected).abs().max() < 1e-5                              # in fact float rounding only


# ---------------------------------------------------------------------------- the command
def test_the_cli_and_hub_ids_give_the_same_folder(converted, tmp_path, monkeypatch, capsys):
    ae, techno = release_layout(tmp_path)
    out = tmp_path / "cli"
    assert main(["convert", "musika", "--autoencoder", str(ae), "--generator", str(techno), "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    populate_hub_cache(monkeypatch, tmp_path / "cache", "marcop/musika_ae", {n: ae / n for n in ("enc.h5", "dec.h5", "enc2.h5", "dec2.h5")})
    populate_hub_cache(monkeypatch, tmp_path / "cache", "marcop/musika_techno", {"gen_ema.h5": techno / "gen_ema.h5"})
    hub = convert("marcop/musika_ae", "marcop/musika_techno", tmp_path / "hub")
    reference = load_file(converted / "model.safetensors")
    for folder in (out, hub):
        tensors = load_file(folder / "model.safetensors")
        assert tensors.keys() == reference.keys() and all(torch.equal(tensors[k], reference[k]) for k in tensors)
    card = (hub / "README.md").read_text()
    assert "license: mit" in card and "marcop/musika_ae" in card and "marcop/musika_techno" in card


def test_the_folder_works_through_the_public_contract(converted):
    check_the_public_contract(converted, 44100)


def check_the_public_contract(converted: Path, sampling_rate: int) -> None:
    """text-to-audio with seeds and truncation, refused conditioning, and the stream equal to one call."""
    assert json.loads((converted / "config.json").read_text())["model_type"] == "hfsynth_musika_release"
    tta = pipeline("text-to-audio", model=str(converted))
    out = tta("", forward_params={"audio_length_in_s": 0.5, "seed": 0, "truncation": 1.5})
    assert out["sampling_rate"] == sampling_rate and out["audio"].dtype == np.float32
    assert out["audio"].shape == (2, sampling_rate // 2)
    again = tta("", forward_params={"audio_length_in_s": 0.5, "seed": 0, "truncation": 1.5})["audio"]
    other = tta("", forward_params={"audio_length_in_s": 0.5, "seed": 1})["audio"]
    assert np.array_equal(out["audio"], again) and not np.allclose(out["audio"], other)
    assert np.abs(out["audio"]).max() <= 1.0
    with pytest.raises(ValueError, match="tempo"):
        tta("techno at 128 bpm", forward_params={"audio_length_in_s": 0.5})
    pipe = MusikaPipeline.from_pretrained(converted)
    streamed = np.concatenate(list(pipe.stream(0.5, generator=torch.Generator().manual_seed(0), truncation=1.5)), -1)
    np.testing.assert_allclose(streamed, out["audio"], atol=1e-6)


def edit_h5(path: Path, edit) -> None:
    with h5py.File(path, "r+") as file:
        edit(file)


def layer_names(file: h5py.File) -> list[bytes]:
    return [name if isinstance(name, bytes) else name.encode() for name in file.attrs["layer_names"]]


def drop_layer(file: h5py.File, layer: str) -> None:
    del file[layer]
    file.attrs["layer_names"] = np.array([n for n in layer_names(file) if n != layer.encode()])


def add_layer(file: h5py.File, layer: str, weights: dict[str, np.ndarray]) -> None:
    group = file.create_group(layer)
    group.attrs["weight_names"] = np.array([f"{layer}/{name}".encode() for name in weights])
    for name, value in weights.items():
        group.create_dataset(f"{layer}/{name}", data=value)
    file.attrs["layer_names"] = np.array([*layer_names(file), layer.encode()])


def replace_array(file: h5py.File, layer: str, name: str, value: np.ndarray) -> None:
    del file[layer][f"{layer}/{name}"]
    file[layer].create_dataset(f"{layer}/{name}", data=value)


def check_refused(tmp_path: Path, fixture: Path, breakage, match: str) -> None:
    """The broken release is a ValueError matching ``match``, and the --out folder keeps only what it held."""
    ae, techno = release_layout(tmp_path, fixture)
    breakage(ae, techno)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("earlier result")
    with pytest.raises(ValueError, match=match):
        convert(ae, techno, out)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize("breakage, match", [
    (lambda ae, techno: (ae / "dec2.h5").unlink(), r"weights not found: .*dec2\.h5"),
    (lambda ae, techno: (techno / "gen_ema.h5").rename(techno / "gen.h5"), "gen.h5 but no gen_ema.h5"),
    (lambda ae, techno: (ae / "enc2.h5").write_bytes((ae / "enc2.h5").read_bytes()[:5000]), r"enc2\.h5 is truncated"),
    (lambda ae, techno: edit_h5(ae / "dec.h5", lambda f: add_layer(f, "conv2d_99", {"kernel:0": np.zeros((1, 1, 48, 513), np.float32)})),
     r"dec\.h5 does not fit the model: no place for conv2d_99/kernel:0"),
    (lambda ae, techno: edit_h5(ae / "dec2.h5", lambda f: drop_layer(f, "add_noise_17")),
     r"dec2\.h5 does not fit the model: nothing for autoencoder\.decoder2\.layers\.6\.noise\.weight"),
    (lambda ae, techno: edit_h5(techno / "gen_ema.h5", lambda f: drop_layer(f, "res2c")),
     r"gen_ema\.h5 does not fit the model: nothing for generator\.stages\.1\.shortcut\.weight"),
    (lambda ae, techno: edit_h5(ae / "enc.h5", lambda f: add_layer(f, "batch_normalization", {"gamma:0": np.ones(64, np.float32)})),
     r"mix the 44\.1 kHz and the 22 kHz release \(enc\.h5: 22 kHz, dec\.h5: 44\.1 kHz"),
    (lambda ae, techno: edit_h5(techno / "gen_ema.h5", lambda f: drop_layer(f, "00d")),
     r"not a Musika generator: it has neither layer '00d' \(44\.1 kHz release\) nor an auto-named dense layer"),
    (lambda ae, techno: (ae / "enc.h5").write_bytes(b"not hdf5" * 100), r"enc\.h5 is truncated or not a Keras"),
])
def test_bad_releases_are_refused_by_name_and_nothing_is_written(tmp_path, breakage, match):
    check_refused(tmp_path, FIXTURE, breakage, match)


def test_wrong_shapes_are_named_by_the_cli_and_nothing_is_written(tmp_path, capsys):
    ae, techno = release_layout(tmp_path)
    edit_h5(ae / "dec.h5", lambda f: replace_array(f, "conv2d_11", "kernel:0", np.zeros((1, 1, 40, 513), np.float32)))
    out = tmp_path / "out"
    assert main(["convert", "musika", "--autoencoder", str(ae), "--generator", str(techno), "--out", str(out)]) == USAGE_ERROR
    error = capsys.readouterr().err
    assert "dec.h5 does not fit the model: shapes differ: conv2d_11/kernel:0" in error
    assert "autoencoder.decoder.magnitude.weight" in error
    assert not out.exists()


def test_an_autoencoder_and_a_generator_that_do_not_belong_together_are_refused(tmp_path):
    ae, techno = release_layout(tmp_path)

    def narrow(file: h5py.File) -> None:
        replace_array(file, "cbottle", "kernel:0", np.zeros((1, 1, 48, 32), np.float32))
        replace_array(file, "cbottle", "bias:0", np.zeros(32, np.float32))

    edit_h5(ae / "enc2.h5", narrow)
    with pytest.raises(ValueError, match="32-channel latents but the generator .* makes 64"):
        convert(ae, techno, tmp_path / "out")
