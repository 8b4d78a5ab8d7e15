"""``hfsynth convert audiogen`` against audiocraft itself.

``tests/fixtures/audiogen`` holds a small random AudioGen built by audiocraft 1.3.0's own builders
and configs, and what audiocraft's code computed with it (``make_fixture.py``, README there). The
tests rebuild the exported packages exactly as ``audiocraft/utils/export.py`` writes them, convert
them, load the folder with no conversion code involved and compare: text conditioning,
teacher-forced logits (a batch of prompts of different lengths and the null condition), greedy
guided generation (with and without the KV cache, with an audio-code prompt, unconditional),
the codec, and long-form generation with audiocraft's stride.
"""

import json
import os
import pickle
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoConfig, AutoTokenizer, T5Tokenizer, pipeline

import hfsynth  # noqa: F401
from hfsynth.cli import USAGE_ERROR, main
from hfsynth.conversion.audiogen import audiogen_medium_config, convert
from hfsynth.models.audiogen import AudioGenForConditionalGeneration, quantize_decoder_int8
from hfsynth.models.audiogen.generation_audiogen import code_picker, generation_settings
from hub_cache import populate_hub_cache
from model_tester import LoopGeneratorTester

#: Another fixture written by make_fixture.py (e.g. at another size) can be checked the same way.
FIXTURE = Path(os.environ.get("HFSYNTH_AUDIOGEN_FIXTURE", Path(__file__).parent / "fixtures" / "audiogen"))
INFO = json.loads((FIXTURE / "reference.json").read_text())
META = json.loads((FIXTURE / "export_meta.json").read_text())
PROMPTS = INFO["prompts"]
FRAME_RATE = 50


def reference() -> dict[str, torch.Tensor]:
    return load_file(FIXTURE / "reference.safetensors")


def write_exported_packages(folder: Path) -> Path:
    """``state_dict.bin`` and ``compression_state_dict.bin`` as audiocraft's export writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    for part, stem in (("lm", "lm"), ("compression", "compression")):
        meta = META[part]
        state = load_file(FIXTURE / f"{stem}.safetensors")
        package = {"best_state": {key: state[key] for key in meta["best_state_keys"]},
                   "xp.cfg": (FIXTURE / f"{stem}_xp_cfg.yaml").read_text(),
                   "version": meta["version"], "exported": meta["exported"]}
        torch.save({key: package[key] for key in meta["keys"]}, folder / meta["bin_name"])
    return folder


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    return write_exported_packages(tmp_path_factory.mktemp("audiocraft") / "audiogen-tiny")


@pytest.fixture(scope="module")
def folder(exported, tmp_path_factory) -> Path:
    return convert(str(exported), str(tmp_path_factory.mktemp("converted") / "audiogen"),
                   text_encoder=str(FIXTURE / "t5"))


@pytest.fixture(scope="module")
def model(folder) -> AudioGenForConditionalGeneration:
    return AudioGenForConditionalGeneration.from_pretrained(folder).eval()


def prompt_batch(prompts=PROMPTS) -> dict[str, torch.Tensor]:
    """The prompts tokenized as audiocraft's T5 conditioner does (padding to the longest)."""
    tokens = T5Tokenizer.from_pretrained(FIXTURE / "t5")(list(prompts), padding=True, return_tensors="pt")
    return {"input_ids": tokens["input_ids"], "attention_mask": tokens["attention_mask"]}


GREEDY = dict(do_sample=False, guidance_scale=3.0, return_dict_in_generate=True)


# -------------------------------------------------------------------------------- the folder
def test_the_folder_is_hub_ready_and_says_what_it_is(folder):
    names = {path.name for path in folder.iterdir()}
    assert {"config.json", "generation_config.json", "model.safetensors", "processor_config.json",
            "README.md", "tokenizer.json"} <= names
    assert not any(name.endswith((".bin", ".pt", ".pth")) for name in names)
    generation = json.loads((folder / "generation_config.json").read_text())
    assert generation["do_sample"] is True and generation["top_k"] == 250 and generation["guidance_scale"] == 3.0
    card = (folder / "README.md").read_text()
    assert "license: cc-by-nc-4.0" in card and "pipeline_tag: text-to-audio" in card and "audiocraft" in card
    config = AutoConfig.from_pretrained(folder)
    assert config.text_projection and not config.mask_padded_text and not config.decoder.bias
    assert config.long_form_stride_in_s == 2.0 and config.decoder.max_window_frames == 10 * FRAME_RATE


def test_the_tokenizer_gives_audiocraft_s_ids(folder):
    ref = reference()
    tokens = prompt_batch()
    assert torch.equal(tokens["input_ids"], ref["cond.input_ids"])
    assert torch.equal(tokens["attention_mask"], ref["cond.attention_mask"])


# -------------------------------------------------------------------------------- parity
def test_text_conditioning_equals_audiocraft_s(model):
    ref = reference()
    with torch.no_grad():
        condition = model.encode_text(ref["cond.input_ids"], ref["cond.attention_mask"])
    torch.testing.assert_close(condition.states, ref["cond.embeds"], atol=1e-5, rtol=0)
    assert condition.attention_mask is None                      # audiocraft attends to the zeroed padding


def undelayed(logits: torch.Tensor) -> torch.Tensor:
    """hfsynth's teacher-forced logits (B, K, frames + K - 1, V) -> (B, K, frames, V) per frame."""
    frames = logits.shape[2] - logits.shape[1] + 1
    return torch.stack([logits[:, k, k : k + frames] for k in range(logits.shape[1])], dim=1)


@pytest.mark.parametrize("condition", ["text", "null"])
def test_teacher_forced_logits_equal_audiocraft_s(model, condition):
    ref = reference()
    prefix = "tf." if condition == "text" else "tf.null_"
    text = {"input_ids": ref["cond.input_ids"], "attention_mask": ref["cond.attention_mask"]} if condition == "text" else {}
    with torch.no_grad():
        logits = undelayed(model(audio_codes=ref["tf.codes"], **text).logits)
    mask = ref[f"{prefix}mask"]
    expected = ref[f"{prefix}logits"]
    assert mask.any()
    torch.testing.assert_close(logits[mask], expected[mask], atol=1e-4, rtol=0)


@pytest.mark.parametrize("use_cache", [True, False])
def test_greedy_guided_generation_gives_audiocraft_s_codes(model, use_cache):
    ref = reference()
    out = model.generate(**prompt_batch(), audio_length_in_s=10 / FRAME_RATE, use_cache=use_cache, **GREEDY)
    assert torch.equal(out.sequences, ref["gen.codes"])
    single = model.generate(**prompt_batch([INFO["single_prompt"]]), audio_length_in_s=10 / FRAME_RATE, **GREEDY)
    assert torch.equal(single.sequences, ref["gen_single.codes"])   # alone: no padding, other codes than in a batch


def test_an_audio_code_prompt_continues_as_audiocraft_s(model):
    ref = reference()
    with torch.no_grad():
        condition = model.encode_text(**prompt_batch())
        pick = code_picker(generation_settings(model.generation_config, {"do_sample": False}))
        codes = model.sample_codes(condition, ref["gen_prompted.prompt"], 10, pick, guidance_scale=3.0)
    assert torch.equal(codes, ref["gen_prompted.codes"])


def test_unconditional_generation_gives_audiocraft_s_codes(model):
    out = model.generate(audio_length_in_s=10 / FRAME_RATE, **GREEDY)
    expected = reference()["gen_unconditional.codes"]
    assert torch.equal(out.sequences[0], expected[0]) and torch.equal(expected[0], expected[1])


def test_the_codec_gives_audiocraft_s_codes_and_audio(model):
    ref = reference()
    codes = model.encode_audio(ref["codec.wav"][:, 0])
    assert torch.equal(codes, ref["codec.codes"])
    with torch.no_grad():
        audio = model.decode_audio(ref["codec.codes"])
    torch.testing.assert_close(audio, ref["codec.decoded"][:, 0], atol=1e-4, rtol=0)


def test_audiogen_s_generate_gives_the_wrapper_s_tokens_and_audio(model):
    ref = reference()
    out = model.generate(**prompt_batch(), audio_length_in_s=INFO["wrapper"]["short"]["duration"], **GREEDY)
    assert torch.equal(out.sequences, ref["wrapper_short.tokens"])
    with torch.no_grad():
        audio = model.decode_audio(out.sequences)
    torch.testing.assert_close(audio, ref["wrapper_short.audio"][:, 0], atol=1e-4, rtol=0)


def test_long_form_generation_follows_audiocraft_s_stride(folder):
    """audiocraft's AudioGen wrapper with max_duration 2.5 s and extend_stride 1 s, for 3.75 s."""
    wrapper = INFO["wrapper"]
    window = int(wrapper["max_duration"] * FRAME_RATE)
    config = AutoConfig.from_pretrained(folder, long_form_stride_in_s=wrapper["extend_stride"])
    config.decoder.max_position_embeddings = window + config.decoder.num_codebooks - 1
    model = AudioGenForConditionalGeneration.from_pretrained(folder, config=config).eval()
    frames = int(wrapper["long"]["duration"] * FRAME_RATE)         # audiocraft truncates 187.5 frames to 187
    out = model.generate(**prompt_batch(), audio_length_in_s=frames / FRAME_RATE, **GREEDY)
    assert torch.equal(out.sequences, reference()["wrapper_long.tokens"])


# ------------------------------------------------------------------------- the public contract
def test_transformers_pipeline_runs_the_converted_folder(folder, model):
    tta = pipeline("text-to-audio", model=str(folder))
    out = tta("dog barking", forward_params={"audio_length_in_s": 0.2, "do_sample": False})
    expected = model.generate(**prompt_batch(["dog barking"]), audio_length_in_s=0.2, do_sample=False)
    assert out["sampling_rate"] == 16000 and out["audio"].dtype == np.float32
    np.testing.assert_allclose(out["audio"], expected[0, 0].numpy(), atol=1e-5)


def test_transformers_pipeline_runs_a_converted_model_with_int8_decoder_weights(folder, model):
    """The README's fast path: load, quantise, hand the model object and its tokenizer to pipeline()."""
    quantized = quantize_decoder_int8(AudioGenForConditionalGeneration.from_pretrained(folder).eval())
    tta = pipeline("text-to-audio", model=quantized, tokenizer=AutoTokenizer.from_pretrained(folder))
    out = tta("dog barking", forward_params={"audio_length_in_s": 0.2, "do_sample": False})
    expected = model.generate(**prompt_batch(["dog barking"]), audio_length_in_s=0.2, do_sample=False)
    assert out["sampling_rate"] == 16000 and out["audio"].shape == expected[0, 0].shape
    assert np.isfinite(out["audio"]).all() and 0 < np.abs(out["audio"]).max() <= 1.0


class TestConvertedAudioGen(LoopGeneratorTester):
    """The shared generator contract, on a converted model."""

    prompts = ("dog barking", "a loud siren wailing")
    seconds = 0.1

    @staticmethod
    def pipeline_class(model, processor=None):
        from hfsynth.models.audiogen import AudioGenPipeline, AudioGenProcessor
        from hfsynth.models.audiogen.processing_audiogen import feature_extractor_for

        tokenizer = T5Tokenizer.from_pretrained(FIXTURE / "t5", model_max_length=model.config.max_text_length)
        return AudioGenPipeline(model, processor or AudioGenProcessor(feature_extractor_for(16000), tokenizer))

    def make_model(self):
        folder = convert(str(write_exported_packages(Path(self.scratch) / "src")), str(Path(self.scratch) / "out"),
                         text_encoder=str(FIXTURE / "t5"))
        config = AutoConfig.from_pretrained(folder, audio_length_in_s=0.06)
        return AudioGenForConditionalGeneration.from_pretrained(folder, config=config)

    @pytest.fixture(scope="class", autouse=True)
    def _scratch(self, tmp_path_factory):
        type(self).scratch = str(tmp_path_factory.mktemp("tester"))

    def inputs(self, model, prompts):
        return prompt_batch(prompts)

    def test_the_pipeline_saves_and_loads_every_component(self, model, tmp_path):
        from hfsynth.models.audiogen import AudioGenPipeline

        pipe = self.pipeline_class(model)
        pipe.save_pretrained(tmp_path)
        loaded = AudioGenPipeline.from_pretrained(tmp_path)
        np.testing.assert_array_equal(self.call_pipeline(loaded, generator=torch.Generator().manual_seed(1)).audios,
                                      self.call_pipeline(pipe, generator=torch.Generator().manual_seed(1)).audios)


# -------------------------------------------------------------------------------- bad input
class RunsCode:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def broken_copy(exported: Path, tmp_path: Path, damage) -> Path:
    folder = tmp_path / "broken"
    folder.mkdir()
    for path in exported.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    damage(folder)
    return folder


def rewrite_lm(folder: Path, change) -> None:
    package = torch.load(folder / "state_dict.bin", weights_only=True)
    change(package)
    torch.save(package, folder / "state_dict.bin")


def code_running(folder: Path) -> None:
    with open(folder / "state_dict.bin", "wb") as handle:
        pickle.dump({"best_state": RunsCode()}, handle)


def truncated(folder: Path) -> None:
    path = folder / "compression_state_dict.bin"
    path.write_bytes(path.read_bytes()[:4096])


def musicgen_package(folder: Path) -> None:
    rewrite_lm(folder, lambda package: package.update({"xp.cfg": package["xp.cfg"].replace("solver: audiogen", "solver: musicgen")}))


def compression_only(folder: Path) -> None:
    (folder / "state_dict.bin").write_bytes((folder / "compression_state_dict.bin").read_bytes())


def pretrained_codec(folder: Path) -> None:
    torch.save({"pretrained": "facebook/encodec_32khz"}, folder / "compression_state_dict.bin")


def wrong_shape(folder: Path) -> None:
    rewrite_lm(folder, lambda package: package["best_state"].update({"emb.0.weight": torch.zeros(7, INFO["sizes"]["dim"])}))


def extra_tensor(folder: Path) -> None:
    rewrite_lm(folder, lambda package: package["best_state"].update({"transformer.layers.0.gate.weight": torch.zeros(2)}))


def unsupported_switch(folder: Path) -> None:
    rewrite_lm(folder, lambda package: package.update({"xp.cfg": package["xp.cfg"].replace("xpos: false", "xpos: true")}))


def odd_codebook_size(folder: Path) -> None:
    """A codec whose codebooks are not a power of two (transformers' EnCodec cannot hold it)."""
    path = folder / "compression_state_dict.bin"
    package = torch.load(path, weights_only=True)
    package["xp.cfg"] = re.sub(r"\bbins: \d+", "bins: 48", package["xp.cfg"])
    torch.save(package, path)


@pytest.mark.parametrize("damage, message", [
    (code_running, "state_dict.bin asks to run code"),
    (truncated, "compression_state_dict.bin is truncated"),
    (musicgen_package, "'musicgen' solver"),
    (compression_only, "state_dict.bin was exported by audiocraft's 'compression' solver"),
    (pretrained_codec, "only names a pretrained codec"),
    (wrong_shape, r"emb.0.weight \(7, \d+\) \(as decoder.embeddings.0.weight"),
    (extra_tensor, "no place for transformer.layers.0.gate.weight"),
    (unsupported_switch, "transformer_lm.xpos is True"),
    (odd_codebook_size, "compression_state_dict.bin: rvq.bins is 48; transformers' EncodecModel needs a power of two"),
])
def test_bad_checkpoints_are_named_and_leave_nothing_behind(exported, tmp_path, damage, message):
    source = broken_copy(exported, tmp_path, damage)
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=message):
        convert(str(source), str(out), text_encoder=str(FIXTURE / "t5"))
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["broken"]


def test_the_cli_converts_and_reports_errors_in_one_line(exported, tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["convert", "audiogen", "--checkpoint", str(exported), "--text-encoder", str(FIXTURE / "t5"),
                 "--out", str(out), "--storage-dtype", "float16"]) == 0
    assert (out / "model.safetensors").is_file() and "wrote" in capsys.readouterr().out
    assert AutoConfig.from_pretrained(out).dtype == torch.float32              # stored in half, loads in float32
    code = main(["convert", "audiogen", "--checkpoint", str(tmp_path / "nothing-here"), "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err.strip()
    assert code == USAGE_ERROR and len(err.splitlines()) == 1 and "AudioGen checkpoint not found" in err


def test_hub_ids_resolve_through_the_hub_cache(exported, tmp_path, monkeypatch):
    populate_hub_cache(monkeypatch, tmp_path / "hub", "facebook/audiogen-tiny",
                       {name: exported / name for name in ("state_dict.bin", "compression_state_dict.bin")})
    populate_hub_cache(monkeypatch, tmp_path / "hub", "someone/t5-tiny",
                       {path.name: path for path in (FIXTURE / "t5").iterdir()})
    out = convert("facebook/audiogen-tiny", str(tmp_path / "out"), text_encoder="someone/t5-tiny")
    assert (out / "config.json").is_file()
    with pytest.raises(ValueError, match="cannot get facebook/absent"):
        convert("facebook/absent", str(tmp_path / "none"), text_encoder="someone/t5-tiny")


# -------------------------------------------------------------------------------- full size
def test_audiogen_medium_has_audiocraft_s_parameter_count():
    """The constants the speed bench builds audiogen-medium from give audiocraft's own counts."""
    with torch.device("meta"):
        model = AudioGenForConditionalGeneration(audiogen_medium_config())
    count = lambda module: sum(p.numel() for p in module.parameters())  # noqa: E731
    lm = count(model.decoder) + count(model.text_projection)
    assert lm == INFO["medium_parameters"]["lm"]
    assert count(model.audio_encoder) == INFO["medium_parameters"]["compression_model"]


@pytest.mark.slow
def test_audiogen_medium_generates_a_few_steps_on_cpu():
    model = AudioGenForConditionalGeneration(audiogen_medium_config()).eval()
    ids = torch.randint(3, 32128, (1, 6))
    out = model.generate(input_ids=ids, max_new_tokens=6, guidance_scale=3.0, seed=0, return_dict_in_generate=True)
    assert out.sequences.shape == (1, 4, 3) and out.audio.shape == (1, 1, 3 * 320)


def test_the_audiogen_space_takes_a_converted_folder(folder):
    from hfsynth.spaces.builders import load_model
    from hfsynth.spaces.specs import get_spec, locate_model

    spec = get_spec("audiogen")
    loaded = load_model(spec, locate_model(spec, str(folder)).source)
    out = loaded.pipe("rain on a roof", forward_params={"audio_length_in_s": 0.1, "guidance_scale": 3.0})
    assert loaded.task == "text-to-audio" and out["audio"].shape == (1600,) and np.abs(out["audio"]).max() > 0
