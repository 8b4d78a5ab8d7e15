"""``hfsynth convert umt``: the Universal Music Translation network's checkpoints against the original code.

tests/fixtures/umt (README.md there) holds the original's files at a reduced size (3 domains) as
safetensors + JSON, and what its code computed from them: encoder latents, teacher-forced decoder
logits, its incremental generator's samples for recorded uniforms (and for a seed), and a whole
``run_on_files.py --py`` translation. The pickles are rebuilt here exactly as README.md says
(sha256-identical under torch 2.13), converted, and compared.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pathlib
import pickle
import sys
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from transformers import pipeline

import hfsynth  # noqa: F401  (registers the models and the audio-to-audio task)
from hfsynth.audio import read_audio, write_audio
from hfsynth.cli import USAGE_ERROR, main
from hfsynth.conversion.music_translation import convert
from hfsynth.models.music_translation import MusicTranslationModel, MusicTranslationPipeline
from hfsynth.models.wavenet.sampling_wavenet import GeneratorNoise, RecordedNoise
from test_convert_wavenet import SamplingAudioToAudioTester

FIXTURE = Path(__file__).parent / "fixtures" / "umt"
DOMAINS = ["Bach_Solo_Cello", "Beethoven_Solo_Piano", "Cambini_Wind_Quintet"]
TOLERANCE = 1e-4


# ------------------------------------------------------------------------- the original's files
def _interned(value):
    """JSON values with their strings interned, as the original's literals are (the pickler memoizes by identity)."""
    if isinstance(value, str):
        return sys.intern(value)
    if isinstance(value, list):
        return [_interned(item) for item in value]
    if isinstance(value, dict):
        if "__tuple__" in value:
            return tuple(_interned(item) for item in value["__tuple__"])
        return {sys.intern(key): _interned(item) for key, item in value.items()}
    return value


def write_args(folder: Path) -> Path:
    record = json.loads((FIXTURE / "args.json").read_text())
    namespace = argparse.Namespace()
    for field in record["namespace_fields_in_dict_order"]:
        value = field["value"]
        if field["type"] == "list[PosixPath]":
            value = [pathlib.PosixPath(path) for path in value]
        setattr(namespace, sys.intern(field["name"]), _interned(value))
    torch.save([namespace, record["epoch"]], folder / "args.pth")
    return folder / "args.pth"


def _state_dict(layout: dict, tensors: dict[str, torch.Tensor], prefix: str) -> OrderedDict:
    state = OrderedDict((key, tensors[f"{prefix}.{key}"]) for key in layout["keys_in_order"])
    state._metadata = OrderedDict((key, dict(value)) for key, value in layout["metadata_attr"].items())
    return state


def _optimizer(layout: dict, tensors: dict[str, torch.Tensor]) -> dict:
    state = {index: {sys.intern(key): tensors[entry["tensor"]] for key, entry in layout["state"][str(index)].items()}
             for index in layout["state_index_order"]}
    return {sys.intern("state"): state, sys.intern("param_groups"): _interned(layout["param_groups"])}


def write_model_file(folder: Path, domain: int, name: str = "bestmodel") -> Path:
    layout = json.loads((FIXTURE / f"bestmodel_{domain}.json").read_text())
    tensors = load_file(FIXTURE / f"bestmodel_{domain}.safetensors")
    checkpoint = {}
    for key in layout["top_keys_in_order"]:
        if key.endswith("optimizer_state"):
            checkpoint[sys.intern(key)] = _optimizer(layout[key], tensors)
        elif key == "dataset":
            checkpoint[sys.intern(key)] = layout[key]["value"]
        else:
            checkpoint[sys.intern(key)] = _state_dict(layout[key], tensors, key)
    path = folder / f"{name}_{domain}.pth"
    torch.save(checkpoint, path)
    return path


def write_original(folder: Path, name: str = "bestmodel", domains=(0, 1, 2)) -> Path:
    folder.mkdir(parents=True)
    write_args(folder)
    for domain in domains:
        write_model_file(folder, domain, name)
    return folder


@pytest.fixture(scope="module")
def original(tmp_path_factory) -> Path:
    return write_original(tmp_path_factory.mktemp("umt") / "pretrained_musicnet")


@pytest.fixture(scope="module")
def converted(original, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("converted") / "umt"
    assert main(["convert", "umt", "--checkpoint", str(original), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def model(converted) -> MusicTranslationModel:
    return MusicTranslationModel.from_pretrained(converted).eval()


@pytest.fixture(scope="module")
def vectors() -> dict[str, torch.Tensor]:
    return load_file(FIXTURE / "vectors.safetensors")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_rebuilt_files_are_the_original_s(original):
    """README.md: the pickles rebuilt from the fixture are byte-identical to the originals."""
    assert sha256(original / "args.pth") == json.loads((FIXTURE / "args.json").read_text())["sha256"]
    for domain in range(3):
        assert sha256(original / f"bestmodel_{domain}.pth") == json.loads(
            (FIXTURE / f"bestmodel_{domain}.json").read_text())["sha256"]


# ---------------------------------------------------------------------------------------- parity
def test_the_mu_law_is_the_original_s(model, vectors):
    for name in ("a", "b"):
        assert torch.equal(model.codec.encode(vectors[f"input_{name}"]), vectors[f"mu_codes_{name}"].long())
    torch.testing.assert_close(model.codec.decode(torch.arange(256)), vectors["inv_mu_law_table"], atol=1e-6, rtol=0)


def test_encoder_latents_match(model, vectors):
    with torch.no_grad():
        for name in ("a", "b"):
            latents = model.encode(vectors[f"input_{name}"][None])
            torch.testing.assert_close(latents, vectors[f"latent_{name}"], atol=TOLERANCE, rtol=0)


@pytest.mark.parametrize("domain", range(3))
def test_teacher_forced_decoder_logits_match(model, vectors, domain):
    with torch.no_grad():
        out = model(vectors["input_a"][None], target_domain=domain)
    positions = vectors["tf_positions"]
    torch.testing.assert_close(out.logits[:, :, positions], vectors[f"tf_logits_sel_{domain}"], atol=TOLERANCE, rtol=0)
    torch.testing.assert_close(out.logits.logsumexp(dim=1), vectors[f"tf_logsumexp_{domain}"], atol=TOLERANCE, rtol=0)
    assert torch.equal(out.logits.argmax(dim=1), vectors[f"tf_argmax_{domain}"].long())
    torch.testing.assert_close(out.loss[None], vectors[f"tf_recon_loss_{domain}"], atol=TOLERANCE, rtol=0)


def test_generation_with_the_recorded_noise_gives_the_original_s_samples(model, vectors):
    """WavenetGenerator(decoder 1, batch 2, cond_repeat = pool).generate(...) with its recorded uniforms."""
    decoder = model.decoders[1]
    encodings = vectors["gen_encodings"]
    audio = decoder.sample_waveform(320, mel=encodings, noise=RecordedNoise(choice=vectors["gen_uniforms"]))
    assert torch.equal(audio, decoder.audio_from_samples(vectors["gen_samples"][:, 0]))


def test_generation_with_the_same_seed_gives_the_original_s_native_samples(model, vectors):
    """Its unpatched torch.multinomial after torch.manual_seed(1234): the exponential race on that seed."""
    decoder = MusicTranslationModel.from_pretrained(model.name_or_path).eval().decoders[1]
    decoder.config.sampling = "exponential_race"
    audio = decoder.sample_waveform(320, mel=vectors["gen_encodings"],
                                    noise=GeneratorNoise(torch.Generator().manual_seed(1234)))
    assert torch.equal(audio, decoder.audio_from_samples(vectors["gen_native_samples"][:, 0]))


def test_translation_matches_run_on_files(model, vectors):
    """run_on_files.py --py --decoders 2 --batch-size 2 on both inputs: chunks of 20 frames, fresh starts."""
    audio = torch.stack([vectors["input_a"], vectors["input_b"]])
    seen = []
    translated = model.translate(audio, "Cambini_Wind_Quintet", noise=RecordedNoise(choice=vectors["trans_uniforms"]),
                                 progress_bar=lambda iterable, total: seen.append(total) or iterable)
    assert torch.equal(translated, model.codec.decode(vectors["trans_codes"][:, 0]))   # the same codes
    torch.testing.assert_close(translated, vectors["trans_wav"], atol=1e-6, rtol=0)   # its inv_mu_law, in numpy
    assert seen == [1600, 1600, 800]                          # the original's chunks: 20, 20 and 10 frames


# ------------------------------------------------------------------------------- public contract
def test_transformers_pipeline_translates_by_name_or_index(converted, vectors):
    translate = pipeline("audio-to-audio", model=str(converted))
    wave = vectors["input_a"][:1200].numpy()
    results = []
    for target in ("Beethoven_Solo_Piano", 1):
        torch.manual_seed(0)
        results.append(translate({"raw": wave, "sampling_rate": 16000}, target_domain=target))
    assert results[0]["sampling_rate"] == 16000 and results[0]["audio"].shape == (1200,)
    np.testing.assert_array_equal(results[0]["audio"], results[1]["audio"])
    torch.manual_seed(0)
    other = translate({"raw": wave, "sampling_rate": 16000}, target_domain=0)
    assert not np.array_equal(other["audio"], results[0]["audio"])
    resampled = translate({"raw": np.repeat(wave, 2), "sampling_rate": 32000}, target_domain=0)
    assert resampled["audio"].shape == (1200,)


def test_the_pipeline_class_and_transform(converted, vectors, tmp_path):
    pipe = MusicTranslationPipeline.from_pretrained(converted)
    out = pipe(vectors["input_b"][:900].numpy(), target_domain=2, generator=torch.Generator().manual_seed(0))
    assert out.audios.shape == (1, 900) and out.sampling_rate == 16000 and np.abs(out.audios).max() <= 1.0
    assert np.all(out.audios[0, 880:] == 0)                       # the tail the pooling drops comes back silent
    wav = write_audio(tmp_path / "in.wav", vectors["input_a"][:800].numpy(), 16000)
    assert main(["transform", "--model", str(converted), "--in", str(wav), "--out", str(tmp_path / "out.wav")]) == 0
    audio, rate = read_audio(tmp_path / "out.wav")
    assert rate == 16000 and audio.shape == (800,)
    for target in ("Beethoven_Solo_Piano", "1"):                 # a name, or an index as digits
        torch.manual_seed(0)
        out_path = tmp_path / f"to_{target}.wav"
        assert main(["transform", "--model", str(converted), "--in", str(wav), "--out", str(out_path),
                     "--target-domain", target]) == 0
    np.testing.assert_array_equal(read_audio(tmp_path / "to_1.wav")[0],
                                  read_audio(tmp_path / "to_Beethoven_Solo_Piano.wav")[0])


def test_the_style_transfer_space_translates_to_the_chosen_domain(converted, tmp_path):
    pytest.importorskip("gradio")
    from gradio_client import handle_file
    from test_spaces import client_for, start

    from hfsynth.spaces import build_space

    clip = write_audio(tmp_path / "clip.wav", np.sin(np.arange(800) / 5.0).astype(np.float32) * 0.3, 16000)
    demo = build_space("style-transfer", model=str(converted))
    try:
        client = client_for(start(demo))
        outputs = [client.predict(handle_file(str(clip)), target, api_name="/style_transfer")[0]
                   for target in ("Beethoven_Solo_Piano", "Beethoven_Solo_Piano", converted_domain(converted, 0))]
    finally:
        demo.close()
    (first, rate), (again, _), (other, _) = (read_audio(path) for path in outputs)
    assert rate == 16000 and first.shape == (800,) and np.abs(first).max() > 0
    np.testing.assert_array_equal(first, again)                 # the Space seeds every request alike
    assert not np.array_equal(first, other)                     # another domain's decoder


def converted_domain(folder, index: int) -> str:
    return MusicTranslationModel.config_class.from_pretrained(folder).domains[index]


class TestConvertedTranslationContract(SamplingAudioToAudioTester):
    """The shared audio-to-audio contract on the converted folder (to the default domain, 0)."""

    pipeline_class = MusicTranslationPipeline

    @pytest.fixture(scope="class")
    def model(self, converted):
        return MusicTranslationModel.from_pretrained(converted).eval()

    def audio(self, rate: int) -> np.ndarray:
        return super().audio(rate)[: rate // 20]   # 50 ms = 10 latent frames, decoded one sample at a time


def test_the_folder_names_its_domains_and_licence(converted, model):
    assert model.config.domains == DOMAINS
    card = (converted / "README.md").read_text()
    assert "license: cc-by-nc-4.0" in card and "facebookresearch/music-translation" in card
    assert all(name in card for name in DOMAINS)


def test_lastmodel_files_are_read_like_bestmodel_files(tmp_path, model):
    folder = write_original(tmp_path / "release", name="lastmodel", domains=(0, 2))
    out = convert(folder, tmp_path / "out", domains=[0, 2])
    subset = MusicTranslationModel.from_pretrained(out)
    assert subset.config.domains == [DOMAINS[0], DOMAINS[2]]
    for key, tensor in subset.decoders[1].state_dict().items():
        assert torch.equal(tensor, model.decoders[2].state_dict()[key])


# ------------------------------------------------------------------------------------ bad input
class RunsCode:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def failing(folder: Path, out: Path, message: str, **kwargs) -> None:
    with pytest.raises(ValueError, match=message):
        convert(folder, out, **kwargs)
    assert not out.exists()


def test_args_pth_may_build_only_namespaces_and_paths(tmp_path):
    folder = write_original(tmp_path / "ckpt", domains=(0,))
    (folder / "args.pth").write_bytes(pickle.dumps([argparse.Namespace(n=RunsCode()), 0]))
    failing(folder, tmp_path / "out", "args.pth asks to run code")
    torch.save([argparse.Namespace(data=[pathlib.PurePosixPath("x")]), 0], folder / "args.pth")
    failing(folder, tmp_path / "out", "args.pth asks to run code")          # another path class: refused too


@pytest.mark.parametrize("damage, message", [
    ("truncate", "bestmodel_1.pth is truncated or not a torch checkpoint"),
    ("code", "bestmodel_1.pth asks to run code"),
    ("other model", "bestmodel_1.pth is not a music-translation checkpoint: it lacks encoder_state, decoder_state"),
    ("missing key", r"bestmodel_1.pth \(decoder_state\).*needs \['logits.weight'\]|nothing for head_out.weight"),
    ("extra key", r"bestmodel_1.pth \(decoder_state\) does not fit the model: no place for stray"),
    ("wrong domain", "bestmodel_1.pth holds the decoder of domain 0, not 1"),
])
def test_bad_model_files_are_named(tmp_path, damage, message):
    folder = write_original(tmp_path / "ckpt")
    path = folder / "bestmodel_1.pth"
    checkpoint = torch.load(path, weights_only=True)
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:1000])
    elif damage == "code":
        path.write_bytes(pickle.dumps({"decoder_state": RunsCode()}))
    elif damage == "other model":
        torch.save({"state_dict": checkpoint["decoder_state"]}, path)
    elif damage == "missing key":
        checkpoint["decoder_state"].pop("logits.weight")
        torch.save(checkpoint, path)
    elif damage == "extra key":
        checkpoint["decoder_state"]["stray"] = torch.zeros(1)
        torch.save(checkpoint, path)
    else:
        checkpoint["dataset"] = 0
        torch.save(checkpoint, path)
    failing(folder, tmp_path / "out", message)


def test_a_missing_domain_or_args_file_is_named(tmp_path):
    folder = write_original(tmp_path / "ckpt", domains=(0, 1))
    failing(folder, tmp_path / "out", r"no file for domain\(s\) 2: Cambini_Wind_Quintet")
    (folder / "args.pth").unlink()
    failing(folder, tmp_path / "out", "has no args.pth")
    failing(tmp_path / "nowhere", tmp_path / "out", "music-translation checkpoint folder not found")


def test_the_cli_reports_bad_input_with_exit_code_2(tmp_path, capsys):
    folder = write_original(tmp_path / "ckpt", domains=(0,))
    code = main(["convert", "umt", "--checkpoint", str(folder), "--out", str(tmp_path / "out")])
    assert code == USAGE_ERROR and "no file for domain(s) 1" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
