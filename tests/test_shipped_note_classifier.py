"""The shipped reference classifier, through transformers' pipeline and on fresh renders."""

from pathlib import Path

import numpy as np
import pytest
from transformers import pipeline

import hfsynth  # noqa: F401
from hfsynth.data import NoteDatasetConfig, render_note
from hfsynth.evaluation import ClassifierEvaluator

FOLDER = Path(__file__).resolve().parent.parent / "pipelines" / "note-classifier"
pytestmark = pytest.mark.skipif(not FOLDER.is_dir(), reason="pipelines/note-classifier is not shipped yet")

# Programs and pitches across the range; velocity 90 is not one of the training velocities.
NOTES = [(0, 48), (0, 72), (24, 55), (33, 36), (40, 67), (56, 62), (65, 58), (73, 81), (81, 45), (11, 76)]


@pytest.fixture(scope="module")
def renders():
    config = NoteDatasetConfig(programs=sorted({p for p, _ in NOTES}), pitches=(24, 96), velocities=(90,),
                               duration_in_s=(1.0, 1.5))
    return [render_note(config, program, pitch, velocity=90) for program, pitch in NOTES], config.sampling_rate


def test_pipeline_answers_with_family_labels(renders):
    (audio, *_), rate = renders
    out = pipeline("audio-classification", model=str(FOLDER))({"raw": audio, "sampling_rate": rate}, top_k=3)
    assert len(out) == 3 and out[0]["label"] == "keyboard" and out[0]["score"] > out[1]["score"]


def test_pitch_and_family_on_fresh_notes(renders):
    audios, rate = renders
    scores = ClassifierEvaluator.from_pretrained(str(FOLDER)).score(audios, rate)
    from hfsynth.data import family_of_program

    assert scores.pitch_accuracy([pitch for _, pitch in NOTES]) >= 0.8
    assert scores.family_accuracy([family_of_program(program) for program, _ in NOTES]) >= 0.7
    assert np.isfinite(scores.embeddings).all()
