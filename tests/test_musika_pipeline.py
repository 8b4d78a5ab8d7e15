"""Musika's generation: the shared generator tests, then Musika's own (any length, one-shot ==
streamed, constant memory, seams, continuation, stereo, prompts that set tempo and density)."""

import numpy as np
import pytest
import torch
from transformers import pipeline

from model_tester import LoopGeneratorTester
from hfsynth.evaluation.spectral import seam_flux_ratio
from hfsynth.models.musika import MusikaAutoencoder, MusikaGenerator, MusikaPipeline
from hfsynth.models.musika.generation_musika import new_state, one_pass_section, stream_section
from test_musika_model import RATE, random_generator, tiny_autoencoder_config, tiny_config

CHUNK = 1024  # samples per chunk of the tiny model


def seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


class TestMusikaGeneration(LoopGeneratorTester):
    pipeline_class = MusikaPipeline
    prompts = ("", "160 bpm, dense")
    seconds = 0.3

    def make_model(self):
        return random_generator()


@pytest.fixture(scope="module")
def pipe() -> MusikaPipeline:
    torch.manual_seed(0)
    return MusikaPipeline(random_generator())


@pytest.fixture(scope="module")
def tta(pipe, tmp_path_factory):
    path = tmp_path_factory.mktemp("musika")
    pipe.save_pretrained(path)
    return pipeline("text-to-audio", model=str(path))


@pytest.mark.parametrize("seconds", [0.01, 1.337, 3.0])
def test_text_to_audio_returns_exactly_the_requested_length(tta, seconds):
    audio = tta("", forward_params={"audio_length_in_s": seconds, "seed": 0})["audio"]
    assert audio.shape == (round(seconds * RATE),) and np.abs(audio).max() <= 1.0 and np.isfinite(audio).all()


def test_the_prompt_sets_the_conditioning(tta):
    def generate(prompt):
        return tta(prompt, forward_params={"audio_length_in_s": 0.5, "seed": 3})["audio"]

    plain, fast, dense = generate(""), generate("160 bpm"), generate("dense")
    assert np.array_equal(plain, generate("a chorale"))              # words that set nothing change nothing
    assert np.abs(plain - fast).max() > 1e-3 * np.abs(plain).max() and np.abs(plain - dense).max() > 1e-3 * np.abs(plain).max()


@pytest.mark.parametrize("prompt, params, match", [
    ("999 bpm", {"audio_length_in_s": 0.5}, "outside"), ("", {"audio_length_in_s": 0.5, "truncation": -1.0}, "truncation"),
])
def test_text_to_audio_bad_input_is_a_clear_error(tta, prompt, params, match):
    with pytest.raises(ValueError, match=match):
        tta(prompt, forward_params=params)


@pytest.mark.parametrize("chunks_per_yield", [1, 3])
def test_streaming_equals_one_shot_generation(pipe, chunks_per_yield):
    one_shot = one_pass_section(pipe.model, round(2.2 * RATE), seeded(7), tempo=90.0)[0].numpy()
    pieces = list(pipe.stream(2.2, generator=seeded(7), tempo=90.0, chunks_per_yield=chunks_per_yield))
    assert [c.shape[-1] for c in pieces[:-1]] == [CHUNK * chunks_per_yield] * (len(pieces) - 1)
    streamed = np.concatenate(pieces)
    assert streamed.shape == one_shot.shape == (round(2.2 * RATE),)
    np.testing.assert_allclose(streamed / np.abs(streamed).max(), one_shot / np.abs(one_shot).max(), atol=1e-4)
    called = pipe(audio_length_in_s=2.2, generator=seeded(7), tempo=90.0)
    np.testing.assert_allclose(called.audios[0], one_shot, atol=1e-5)


def test_streaming_memory_does_not_grow_with_length(pipe):
    state = new_state(pipe.model, seeded(0))
    held = []
    for _ in stream_section(pipe.model, 20 * RATE, state, chunks_per_yield=1):   # 157 chunks
        held.append(len(state.sampler.anchors))
    assert len(held) == 157 and max(held) <= 6                         # anchors kept: a chunk and its context
    assert state.context.shape[-1] <= pipe.autoencoder.decoder_context


def test_chunks_join_without_seams(pipe):
    audio = np.concatenate(list(pipe.stream(6.0, generator=seeded(1))))
    ratio = seam_flux_ratio(audio, chunk_length=CHUNK, n_fft=256, hop_length=64)
    assert ratio <= 1.2


def test_continuing_a_piece_interpolates_the_style(pipe):
    first = pipe(audio_length_in_s=1.0, generator=seeded(0))
    again = pipe(audio_length_in_s=1.0, generator=seeded(0))
    np.testing.assert_array_equal(first.audios, again.audios)
    torch.testing.assert_close(first.latents, first.state[0].style)
    same = pipe.continue_piece(again.state[0], audio_length_in_s=1.0)                      # the style stays
    morph = pipe.continue_piece(first.state[0], audio_length_in_s=1.0, generator=seeded(5), transition_s=0.5)
    assert same.audios.shape == morph.audios.shape == (1, RATE)
    assert not np.allclose(same.audios, morph.audios)
    assert not torch.allclose(first.state[0].style, again.state[0].style)     # the end of the morph: a new style
    with pytest.raises(ValueError, match="transition_s"):
        pipe.continue_piece(first.state[0], audio_length_in_s=1.0, generator=seeded(1), transition_s=-1.0)


def test_a_style_plays_again(pipe):
    out = pipe(audio_length_in_s=0.5, generator=seeded(2))
    replay = pipe(audio_length_in_s=0.5, generator=seeded(9), style=out.latents[0])
    torch.testing.assert_close(replay.latents, out.latents)


def test_stereo_models_give_two_channels_and_mono_models_refuse_stereo(pipe, tmp_path):
    with pytest.raises(ValueError, match="mono"):
        pipe(audio_length_in_s=0.5, stereo=True)
    stereo = MusikaPipeline(MusikaGenerator(tiny_config(autoencoder=tiny_autoencoder_config(audio_channels=2))))
    assert stereo(audio_length_in_s=0.5).audios.shape == (1, 2, RATE // 2)
    assert stereo(audio_length_in_s=0.5, stereo=False).audios.shape == (1, RATE // 2)
    stereo.save_pretrained(tmp_path)
    out = pipeline("text-to-audio", model=str(tmp_path))("", forward_params={"audio_length_in_s": 0.25})
    assert out["audio"].shape == (2, RATE // 4)


def test_a_pipeline_assembles_two_components(pipe):
    autoencoder = MusikaAutoencoder(tiny_autoencoder_config())
    assembled = MusikaPipeline(MusikaGenerator(tiny_config()), autoencoder)
    for (name, a), (_, b) in zip(autoencoder.state_dict().items(), assembled.autoencoder.state_dict().items()):
        assert torch.equal(a, b), name
    with pytest.raises(ValueError, match="architecture"):
        MusikaPipeline(MusikaGenerator(tiny_config()), MusikaAutoencoder(tiny_autoencoder_config(latent_channels=4)))


@pytest.mark.parametrize("kwargs, match", [
    ({"density": "loud"}, "density"), ({"tempo": 10.0}, "outside"), ({"prompt": "999 bpm"}, "outside"),
    ({"style": torch.full((8,), float("nan"))}, "NaN"), ({"prompt": []}, "prompt list is empty"),
])
def test_pipeline_bad_input_is_a_clear_error(pipe, kwargs, match):
    with pytest.raises(ValueError, match=match):
        pipe(audio_length_in_s=1.0, **kwargs)


@pytest.mark.parametrize("chunks_per_yield", [0, 1.5, True])
def test_stream_rejects_a_bad_piece_size(pipe, chunks_per_yield):
    with pytest.raises(ValueError, match="chunks_per_yield"):
        next(pipe.stream(1.0, chunks_per_yield=chunks_per_yield))
