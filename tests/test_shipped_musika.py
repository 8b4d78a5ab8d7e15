"""The shipped Musika checkpoint does what its card claims, on a few fresh samples (about 10 s)."""

from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import pipeline

import hfsynth  # noqa: F401
from hfsynth.evaluation import onset_rate, seam_flux_ratio, spectral_flatness
from hfsynth.models.musika import MusikaPipeline

FOLDER = Path(__file__).resolve().parent.parent / "pipelines" / "musika-small"
pytestmark = pytest.mark.skipif(not FOLDER.is_dir(), reason="pipelines/musika-small is not shipped yet")
SEEDS = range(4)


@pytest.fixture(scope="module")
def pipe() -> MusikaPipeline:
    return MusikaPipeline.from_pretrained(FOLDER)


def test_a_long_stream_is_music_not_noise_and_has_no_seams(pipe):
    audio = np.concatenate(list(pipe.stream(12.0, generator=torch.Generator().manual_seed(0))))
    chunk = pipe.model.config.chunk_latents * pipe.autoencoder.config.samples_per_latent
    assert audio.shape == (12 * 16000,) and np.abs(audio).max() > 0.05
    assert spectral_flatness(audio) < 0.01                      # white noise: ~0.56; the training music ~0.001
    assert seam_flux_ratio(audio, chunk) <= 1.2


def test_a_faster_tempo_prompt_gives_more_onsets(pipe):
    music = pipeline("text-to-audio", model=str(FOLDER))
    rates = {}
    for bpm in (70, 140):
        clips = [music(f"{bpm} bpm", forward_params={"audio_length_in_s": 8.0, "seed": seed})["audio"] for seed in SEEDS]
        rates[bpm] = float(np.mean(onset_rate(clips, 16000)))
    assert rates[140] > rates[70]
