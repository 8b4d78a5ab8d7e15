"""AudioGen's generation: the shared generator tests, then AudioGen's own (the caption tokenizer,
the processor as MusicGen's, transformers' ``pipeline()`` and ``AudioGenPipeline`` on one folder)."""

import logging

import numpy as np
import pytest
import torch
from transformers import AutoModelForTextToWaveform, AutoProcessor, AutoTokenizer, pipeline

import hfsynth  # noqa: F401  (registers AudioGen and its processor)
from hfsynth.models.audiogen import (
    AudioGenForConditionalGeneration,
    AudioGenPipeline,
    AudioGenProcessor,
    train_caption_tokenizer,
)
from hfsynth.models.audiogen.processing_audiogen import feature_extractor_for
from model_tester import LoopGeneratorTester
from test_audiogen_model import RATE, tiny_config, with_codebooks

CAPTIONS = ["a soft piano note", "loud brass playing a melody", "strings and piano", "a dog barking in the rain"]
SECONDS = 0.3


CAPTION_TOKENIZER = train_caption_tokenizer(CAPTIONS * 5, vocab_size=64, model_max_length=12)


def tiny_audiogen(**overrides) -> AudioGenForConditionalGeneration:
    text_encoder = dict(vocab_size=len(CAPTION_TOKENIZER), d_model=32, d_kv=8, d_ff=64, num_layers=1, num_heads=4)
    return with_codebooks(AudioGenForConditionalGeneration(tiny_config(text_encoder=text_encoder, **overrides)))


def tiny_pipeline(model: AudioGenForConditionalGeneration) -> AudioGenPipeline:
    return AudioGenPipeline(model, AudioGenProcessor(feature_extractor_for(RATE), CAPTION_TOKENIZER))


class TestAudioGenGeneration(LoopGeneratorTester):
    pipeline_class = staticmethod(tiny_pipeline)
    prompts = ("a soft piano note", "a dog barking in the rain")
    seconds = 0.1

    def make_model(self):
        return tiny_audiogen(audio_length_in_s=0.06)

    def inputs(self, model, prompts):
        return dict(CAPTION_TOKENIZER(prompts, padding=True, return_tensors="pt"))

    def test_the_pipeline_saves_and_loads_every_component(self, model, tmp_path):
        pipe = tiny_pipeline(model)
        pipe.save_pretrained(tmp_path)
        loaded = AudioGenPipeline.from_pretrained(tmp_path)
        assert set(loaded.components) == {"model", "processor"} and (tmp_path / "processor_config.json").is_file()
        np.testing.assert_array_equal(self.call_pipeline(loaded, generator=torch.Generator().manual_seed(1)).audios,
                                      self.call_pipeline(pipe, generator=torch.Generator().manual_seed(1)).audios)


@pytest.fixture(scope="module")
def tokenizer():
    return CAPTION_TOKENIZER


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("audiogen")
    tiny_pipeline(tiny_audiogen()).save_pretrained(path)
    return str(path)


@pytest.fixture(scope="module")
def tta(folder):
    return pipeline("text-to-audio", model=folder)


# ----------------------------------------------------------------------------- tokenizer
def test_the_caption_tokenizer_reloads_with_auto_tokenizer(tokenizer, tmp_path):
    tokenizer.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    ids = loaded("A Soft PIANO note")["input_ids"]
    assert ids == tokenizer("a soft piano note")["input_ids"] and ids[-1] == loaded.eos_token_id == 1
    assert (loaded.pad_token_id, loaded.unk_token_id, loaded.model_max_length) == (0, 2, 12)
    assert loaded.decode(ids, skip_special_tokens=True) == "a soft piano note"


def test_tokenizer_training_needs_captions():
    with pytest.raises(ValueError, match="no captions"):
        train_caption_tokenizer(["", "  "])


# ----------------------------------------------------------------------------- processor
def test_the_folder_loads_as_auto_classes(folder):
    assert isinstance(AutoModelForTextToWaveform.from_pretrained(folder), AudioGenForConditionalGeneration)
    processor = AutoProcessor.from_pretrained(folder)
    assert isinstance(processor, AudioGenProcessor) and processor.sampling_rate == RATE


def test_the_processor_prepares_prompts_and_audio_prompts(folder, caplog):
    processor = AudioGenProcessor.from_pretrained(folder)
    inputs = processor(text=["a dog", "loud brass playing a melody and strings and piano and a dog"],
                       audio=[np.zeros(100, np.float32), np.zeros(60, np.float32)], sampling_rate=2 * RATE)
    assert inputs["input_ids"].shape[1] <= 12 and inputs["attention_mask"][0].sum() < 12
    assert inputs["input_values"].shape == (2, 1, 50) and inputs["padding_mask"][1].sum() == 30
    assert "truncated" in caplog.text and "resampling" in caplog.text
    assert processor(audio=torch.zeros(2, 40))["input_values"].shape == (2, 1, 40)
    bad_inputs = [({"text": []}, "prompt list is empty"), ({}, "pass text"), ({"audio": []}, "audio list is empty"),
                  ({"text": "x", "sampling_rate": RATE}, "no audio was given"), ({"text": [3]}, "strings")]
    for bad, message in bad_inputs:
        with pytest.raises(ValueError, match=message):
            processor(**bad)


# ---------------------------------------------------------------------- pipeline() contract
def test_max_new_tokens_and_guidance_through_the_pipeline(tta):
    out = tta("a piano playing a melody", forward_params={"max_new_tokens": 12, "guidance_scale": 3.0})
    assert out["audio"].shape == ((12 - 2) * 16,)                 # 12 steps - (K - 1) delay steps, 16 samples each


def test_the_pipeline_default_length_is_max_new_tokens_256(tta):
    assert tta("rain", forward_params={"do_sample": False})["audio"].shape == ((256 - 2) * 16,)  # sliding window


def test_long_prompts_are_truncated_with_a_warning(tta, caplog):
    with caplog.at_level(logging.WARNING):
        out = tta("a dog barking in the rain " * 10, forward_params={"audio_length_in_s": SECONDS})
    assert out["audio"].shape == (round(SECONDS * RATE),) and "truncated" in caplog.text


def test_an_audio_prompt_reaches_generate_through_the_pipeline(tta):
    prompt = 0.3 * np.random.default_rng(0).standard_normal(RATE // 10).astype(np.float32)  # 0.1 s
    out = tta("a dog", forward_params={"audio_length_in_s": SECONDS, "input_values": prompt})
    assert out["audio"].shape == (round(SECONDS * RATE),)


def test_the_processor_and_generate_work_as_musicgen_s(folder):
    """transformers' MusicGen docs, line for line."""
    processor = AutoProcessor.from_pretrained(folder)
    model = AutoModelForTextToWaveform.from_pretrained(folder)
    inputs = processor(text=["a dog barking", "a soft piano note in a hall"], padding=True, return_tensors="pt")
    audio_values = model.generate(**inputs, do_sample=True, guidance_scale=3, max_new_tokens=12)
    assert audio_values.shape == (2, 1, (12 - 2) * 16)
    prompt = 0.3 * np.random.default_rng(1).standard_normal(RATE // 10).astype(np.float32)
    inputs = processor(audio=[prompt, prompt[:50]], text=["a dog", "rain"], sampling_rate=RATE, padding=True,
                       return_tensors="pt")
    audio_values = model.generate(**inputs, do_sample=True, guidance_scale=3, max_new_tokens=12)
    decoded = processor.batch_decode(audio_values, padding_mask=inputs.padding_mask)
    assert len(decoded) == 2 and decoded[0].shape == (1, audio_values.shape[-1]) and decoded[0].dtype == np.float32


# ------------------------------------------------------------------------- AudioGenPipeline
def test_audiogen_pipeline(folder):
    pipe = AudioGenPipeline.from_pretrained(folder)

    def run(**kwargs):
        return pipe(["a dog", "piano"], audio_length_in_s=SECONDS, generator=torch.Generator().manual_seed(0), **kwargs)

    out = run()
    assert out.sampling_rate == RATE and out.audios.dtype == np.float32
    assert out.audios.shape == (2, round(SECONDS * RATE))
    assert np.array_equal(out.audios, run().audios)
    assert run(audio_prompt=np.zeros(80, np.float32), guidance_scale=1.0).audios.shape == (2, round(SECONDS * RATE))
    resampled = run(audio_prompt=np.zeros(160, np.float32), sampling_rate=2 * RATE)   # 0.1 s at twice the rate
    assert resampled.audios.shape == (2, round(SECONDS * RATE))


def test_an_empty_prompt_list_is_a_value_error(folder):
    """transformers' pipeline() itself fails on ``[]`` (IndexError, before any model code runs);
    hfsynth's own entry points say what is wrong."""
    with pytest.raises(ValueError, match="prompt list is empty"):
        AudioGenPipeline.from_pretrained(folder)([])
