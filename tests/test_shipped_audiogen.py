"""The shipped AudioGen checkpoint follows its caption, through transformers' pipeline (a few seconds;
bench/audiogen_quality.py measures it on every family, at guidance 1 and 3)."""

import os
from pathlib import Path

import numpy as np
import pytest
from transformers import pipeline

import hfsynth  # noqa: F401
from hfsynth.evaluation.pitch import pitch_accuracy_pyin

FOLDER = Path(os.environ.get("HFSYNTH_AUDIOGEN_FOLDER", Path(__file__).resolve().parent.parent / "pipelines" / "audiogen-tiny"))
pytestmark = pytest.mark.skipif(not FOLDER.is_dir(), reason="pipelines/audiogen-tiny is not shipped yet")
FAMILY_WORDS = ("piano", "flute", "organ")


@pytest.fixture(scope="module")
def audiogen():
    return pipeline("text-to-audio", model=str(FOLDER))


def median_midi(audiogen, prompts: list[str]) -> float:
    clips = [audiogen(prompt, forward_params={"audio_length_in_s": 2.0, "seed": seed})["audio"]
             for seed, prompt in enumerate(prompts)]
    return float(np.nanmedian(pitch_accuracy_pyin(clips, 16000, 60.0, search_octaves=2.0).median_midi))


def test_high_pitched_prompts_sound_higher_than_low_pitched_ones(audiogen):
    low = median_midi(audiogen, [f"a low-pitched {word} note" for word in FAMILY_WORDS])
    high = median_midi(audiogen, [f"a high-pitched {word} note" for word in FAMILY_WORDS])
    assert high > low + 12, (low, high)          # the card: about three octaves apart at guidance 3


def test_the_public_contract_with_a_duration(audiogen):
    out = audiogen("a loud organ note, C4", forward_params={"audio_length_in_s": 1.5, "seed": 0})
    audio = out["audio"]
    assert out["sampling_rate"] == 16000 and audio.dtype == np.float32
    assert audio.shape == (24000,) and 0.01 < np.abs(audio).max() <= 1.0
