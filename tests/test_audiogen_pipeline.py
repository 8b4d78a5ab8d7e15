"""AudioGen's public contract: the caption tokenizer, the processor, transformers' ``pipeline()``
and the diffusers-style ``AudioGenPipeline``, all loading one saved folder."""

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
    save_audiogen_folder,
    train_caption_tokenizer,
)
from hfsynth.models.audiogen.processing_audiogen import feature_extractor_for
from test_audiogen_model import RATE, tiny_config, with_codebooks

CAPTIONS = ["a soft piano note", "loud brass playing a melody", "strings and piano", "a dog barking in the rain"]
SECONDS = 0.3


@pytest.fixture(scope="module")
def tokenizer():
    return train_caption_tokenizer(CAPTIONS * 5, vocab_size=64, model_max_length=12)


@pytest.fixture(scope="module")
def folder(tmp_path_factory, tokenizer) -> str:
    path = tmp_path_factory.mktemp("audiogen")
    model = with_codebooks(AudioGenForConditionalGeneration(tiny_config(text_encoder=dict(
        vocab_size=len(tokenizer), d_model=32, d_kv=8, d_ff=64, num_layers=1, num_heads=4))))
    save_audiogen_folder(model, AudioGenProcessor(feature_extractor_for(RATE), tokenizer), path)
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
    assert inputs["audio_prompt"].shape == (2, 50) and inputs["audio_prompt_mask"][1].sum() == 30
    assert "truncated" in caplog.text and "resampling" in caplog.text
    assert processor(audio=torch.zeros(2, 40))["audio_prompt"].shape == (2, 40)
    bad_inputs = [({"text": []}, "prompt list is empty"), ({}, "pass text"), ({"audio": []}, "audio list is empty"),
                  ({"text": "x", "sampling_rate": RATE}, "no audio was given"), ({"text": [3]}, "strings")]
    for bad, message in bad_inputs:
        with pytest.raises(ValueError, match=message):
            processor(**bad)


# ---------------------------------------------------------------------- pipeline() contract
def test_text_to_audio_contract(tta):
    out = tta("a piano playing a melody", forward_params={"audio_length_in_s": SECONDS})
    audio, rate = out["audio"], out["sampling_rate"]
    assert rate == RATE and audio.dtype == np.float32 and audio.shape == (round(SECONDS * RATE),)
    assert np.abs(audio).max() <= 1.0 and audio.std() > 0


def test_max_new_tokens_and_guidance_through_the_pipeline(tta):
    out = tta("a piano playing a melody", forward_params={"max_new_tokens": 12, "guidance_scale": 3.0})
    assert out["audio"].shape == ((12 - 2) * 16,)                 # 12 steps - (K - 1) delay steps, 16 samples each


def test_the_pipeline_default_length_is_max_new_tokens_256(tta):
    assert tta("rain", forward_params={"do_sample": False})["audio"].shape == ((256 - 2) * 16,)  # sliding window


def test_a_seed_makes_the_pipeline_reproducible(tta):
    def run(seed):
        return tta("a dog barking", forward_params={"audio_length_in_s": SECONDS, "seed": seed})["audio"]

    assert np.array_equal(run(1), run(1)) and not np.array_equal(run(1), run(2))


@pytest.mark.parametrize("seconds", [0.0, -1.0, float("nan")])
def test_bad_durations_are_value_errors(tta, seconds):
    with pytest.raises(ValueError, match="audio_length_in_s"):
        tta("a dog", forward_params={"audio_length_in_s": seconds})


def test_long_prompts_are_truncated_with_a_warning(tta, caplog):
    with caplog.at_level(logging.WARNING):
        out = tta("a dog barking in the rain " * 10, forward_params={"audio_length_in_s": SECONDS})
    assert out["audio"].shape == (round(SECONDS * RATE),) and "truncated" in caplog.text


def test_an_audio_prompt_at_another_rate_is_resampled(tta):
    prompt = 0.3 * np.random.default_rng(0).standard_normal(2 * RATE // 10).astype(np.float32)  # 0.1 s at 2 x RATE
    out = tta("a dog", forward_params={"audio_length_in_s": SECONDS, "audio_prompt": prompt,
                                       "audio_prompt_sampling_rate": 2 * RATE})
    assert out["audio"].shape == (round(SECONDS * RATE),)


def test_unknown_generation_arguments_are_value_errors(tta):
    with pytest.raises(ValueError, match="num_beams"):
        tta("a dog", forward_params={"num_beams": 2})


# ------------------------------------------------------------------------- AudioGenPipeline
def test_audiogen_pipeline(folder, tmp_path):
    pipe = AudioGenPipeline.from_pretrained(folder)

    def run(**kwargs):
        return pipe(["a dog", "piano"], audio_length_in_s=SECONDS, generator=torch.Generator().manual_seed(0), **kwargs)

    out = run()
    assert out.sampling_rate == RATE and out.audios.dtype == np.float32
    assert out.audios.shape == (2, round(SECONDS * RATE))
    assert np.array_equal(out.audios, run().audios)
    assert run(audio_prompt=np.zeros(80, np.float32), guidance_scale=1.0).audios.shape == (2, round(SECONDS * RATE))
    pipe.save_pretrained(tmp_path)
    assert AudioGenPipeline.from_pretrained(tmp_path)("rain", audio_length_in_s=0.1).audios.shape == (1, 80)


def test_an_empty_prompt_list_is_a_value_error(folder):
    """transformers' pipeline() itself fails on ``[]`` (IndexError, before any model code runs);
    hfsynth's own entry points say what is wrong."""
    with pytest.raises(ValueError, match="prompt list is empty"):
        AudioGenPipeline.from_pretrained(folder)([])
