"""``hfsynth convert musika`` on the authors' 22 kHz release (folder ``22kHz/`` of their repository).

tests/fixtures/musika_22khz/ holds ``.h5`` files written by the authors' 22 kHz code (reduced widths,
random weights, batch-norm statistics included) in the release's layout, the inputs and outputs of
every network, the generate path, the audio path and every AddNoise draw (its README explains each
tensor). The parity tests (every network, the coordinate path, the audio) run on it in
test_convert_musika.py, beside the 44.1 kHz fixture; here: what only the 22 kHz release has, the
command, and the refusals.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from safetensors.torch import load_file

import hfsynth  # noqa: F401  (registers the models)
from hfsynth.cli import USAGE_ERROR, main
from hfsynth.conversion.musika import convert
from hfsynth.models.musika import MusikaPipeline, MusikaReleaseGenerator
from hfsynth.models.musika.generation_musika_release import CoordinatePath
from test_convert_musika import (
    FIXTURE_22KHZ as FIXTURE,
    PARITY_FIXTURES,
    add_layer,
    check_refused,
    check_the_public_contract,
    drop_layer,
    edit_h5,
    load_tensors,
    release_layout,
    replace_array,
)

FIXTURE_44KHZ = Path(__file__).parent / "fixtures" / "musika"
#: get_noise_interp_multi's truncation in the fixture (the demo's default slider); the anchors' bound is 1.75.
TRUNCATION = PARITY_FIXTURES["22khz"][1]


@pytest.fixture(scope="module")
def tensors() -> dict[str, torch.Tensor]:
    return load_tensors(FIXTURE)


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    ae, techno = release_layout(tmp_path_factory.mktemp("release"), FIXTURE)
    return convert(ae, techno, tmp_path_factory.mktemp("out") / "musika-22khz")


@pytest.fixture(scope="module")
def model(converted) -> MusikaReleaseGenerator:
    return MusikaReleaseGenerator.from_pretrained(converted).eval()


def test_the_release_is_recognised_with_its_sizes(model):
    config = model.config
    assert (config.variant, config.sampling_rate, config.autoencoder_width, config.base_channels) == ("22khz", 22050, 1, 8)
    assert (config.frames_per_latent, config.latents_per_block, config.first_latent_channels) == (8, 8, 128)
    assert config.truncation == TRUNCATION and config.samples_per_latent == 2048
    settings = json.loads((FIXTURE / "settings.json").read_text())["params"]
    ae = model.autoencoder
    for file, network in (("ae/enc.h5", ae.encoder), ("ae/dec.h5", ae.decoder), ("ae/enc2.h5", ae.encoder2),
                          ("ae/dec2.h5", ae.decoder2), ("techno/gen_ema.h5", model.generator)):
        count = sum(p.numel() for p in network.parameters()) + sum(b.numel() for b in network.buffers())
        assert count == settings[file], file                                     # Keras' count_params


def test_the_anchors_of_the_22khz_path_are_drawn_at_a_bound_of_at_least_1_75(model, tensors):
    draws = tensors["generate.truncated_normal_draws"]                           # style, then 2 anchors
    path = CoordinatePath(model.config, truncation=TRUNCATION, anchors=draws[1:])
    assert path.anchor_bound == 1.75 and path.truncation == TRUNCATION
    assert draws[:1].abs().max() <= TRUNCATION < draws[1:].abs().max() <= 1.75
    assert CoordinatePath(model.config, truncation=2.5).anchor_bound == 2.5


# ---------------------------------------------------------------------------- the command
def test_the_folder_works_through_the_public_contract(converted, tmp_path, capsys):
    assert json.loads((converted / "config.json").read_text())["variant"] == "22khz"
    check_the_public_contract(converted, 22050)
    ae, techno = release_layout(tmp_path, FIXTURE)
    cli = tmp_path / "cli"
    assert main(["convert", "musika", "--autoencoder", str(ae), "--generator", str(techno), "--out", str(cli)]) == 0
    assert "wrote" in capsys.readouterr().out
    reference, tensors = load_file(converted / "model.safetensors"), load_file(cli / "model.safetensors")
    assert tensors.keys() == reference.keys() and all(torch.equal(tensors[k], reference[k]) for k in tensors)
    assert "22 kHz release" in (cli / "README.md").read_text()


def test_a_long_piece_streams_segment_by_segment(model):
    pieces = list(MusikaPipeline(model).stream(14.0, generator=torch.Generator().manual_seed(3)))
    assert [p.shape[-1] for p in pieces] == [262144, 14 * 22050 - 262144]           # 11.9 s segments
    whole = model.generate(audio_length_in_s=14.0, generator=torch.Generator().manual_seed(3))[0].numpy()
    np.testing.assert_allclose(np.concatenate(pieces, -1), whole, atol=1e-6)


def widen_coordinates(file: h5py.File) -> None:
    """The generator built with the authors' parse default (conditional=False): 129 input channels."""
    outputs = file["dense_2"]["dense_2/kernel:0"].shape[1]                    # (2 frames * 128, 4 * 7b)
    replace_array(file, "dense_2", "kernel:0", np.zeros((2 * 129, outputs), np.float32))


@pytest.mark.parametrize("breakage, match", [
    (lambda ae, techno: edit_h5(ae / "dec2.h5", lambda f: drop_layer(f, "batch_normalization_23")),
     r"dec2\.h5 does not fit the model: nothing for autoencoder\.decoder2\.layers\.4\.norm\.(weight|bias|running)"),
    (lambda ae, techno: edit_h5(ae / "enc.h5", lambda f: add_layer(f, "conv2d_99", {"kernel:0": np.zeros((1, 1, 48, 8), np.float32)})),
     r"enc\.h5 does not fit the model: no place for conv2d_99/kernel:0"),
    (lambda ae, techno: edit_h5(techno / "gen_ema.h5", lambda f: drop_layer(f, "add_noise_32")),
     r"gen_ema\.h5 does not fit the model: nothing for generator\.blocks\.8\.noise\.weight"),
    (lambda ae, techno: edit_h5(techno / "gen_ema.h5", widen_coordinates), "reads 129 coordinate channels"),
    (lambda ae, techno: (techno / "gen_ema.h5").write_bytes((techno / "gen_ema.h5").read_bytes()[:9000]),
     r"gen_ema\.h5 is truncated"),
    (lambda ae, techno: [(ae / n).write_bytes((FIXTURE_44KHZ / "weights" / "ae" / n).read_bytes())
                         for n in ("enc.h5", "dec.h5", "enc2.h5", "dec2.h5")],
     r"mix the 44\.1 kHz and the 22 kHz release .*enc\.h5: 44\.1 kHz.*gen_ema\.h5: 22 kHz"),
    (lambda ae, techno: (ae / "dec.h5").write_bytes((FIXTURE / "weights" / "ae" / "dec2.h5").read_bytes()),
     r"dec\.h5 does not fit the model"),
])
def test_bad_releases_are_refused_by_name_and_nothing_is_written(tmp_path, breakage, match):
    check_refused(tmp_path, FIXTURE, breakage, match)


def test_wrong_shapes_are_named_by_the_cli_and_nothing_is_written(tmp_path, capsys):
    ae, techno = release_layout(tmp_path, FIXTURE)
    edit_h5(ae / "dec.h5", lambda f: replace_array(f, "batch_normalization_12", "moving_variance:0",
                                                   np.ones(40, np.float32)))
    out = tmp_path / "out"
    assert main(["convert", "musika", "--autoencoder", str(ae), "--generator", str(techno), "--out", str(out)]) == USAGE_ERROR
    error = capsys.readouterr().err
    assert "dec.h5 does not fit the model: shapes differ: batch_normalization_12/moving_variance:0" in error
    assert "autoencoder.decoder.fuse.norm.running_var" in error
    assert not out.exists()
