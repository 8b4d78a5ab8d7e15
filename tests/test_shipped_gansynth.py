"""The shipped GANSynth checkpoint plays the pitch it is asked for, through transformers' pipeline
and through a MIDI file (a few seconds; bench/gansynth_quality.py measures it on 200 notes)."""

from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import torch
from transformers import pipeline

import hfsynth  # noqa: F401
from hfsynth.audio.pitch import midi_to_note
from hfsynth.evaluation.pitch import pitch_accuracy_pyin
from hfsynth.models.gansynth import GANSynthPipeline

FOLDER = Path(__file__).resolve().parent.parent / "pipelines" / "gansynth-small"
pytestmark = pytest.mark.skipif(not FOLDER.is_dir(), reason="pipelines/gansynth-small is not shipped yet")
PITCHES = [40, 47, 53, 57, 60, 64, 67, 71, 76, 81]


@pytest.fixture(scope="module")
def pipe() -> GANSynthPipeline:
    return GANSynthPipeline.from_pretrained(FOLDER)


def test_a_prompt_naming_a_note_gets_that_pitch():
    synth = pipeline("text-to-audio", model=str(FOLDER))
    notes = [synth(midi_to_note(pitch), forward_params={"seed": pitch})["audio"] for pitch in PITCHES]
    result = pitch_accuracy_pyin(notes, 16000, PITCHES)
    assert result.accuracy >= 0.7          # 10 notes; the card's number is measured on 200


def test_a_midi_file_plays_its_melody(pipe):
    score, melody = pretty_midi.PrettyMIDI(), [55, 60, 64, 67]
    piano = pretty_midi.Instrument(program=0)
    piano.notes = [pretty_midi.Note(velocity=100, pitch=p, start=0.5 * i, end=0.5 * i + 0.45) for i, p in enumerate(melody)]
    score.instruments.append(piano)
    audio = pipe.render_midi(score, generator=torch.Generator().manual_seed(0)).audios[0]
    rate = pipe.config.sampling_rate
    halves = [audio[round(0.5 * i * rate) : round((0.5 * i + 0.4) * rate)] for i in range(len(melody))]
    result = pitch_accuracy_pyin(halves, rate, melody)
    assert np.abs(audio).max() > 0.05 and result.accuracy >= 0.75
