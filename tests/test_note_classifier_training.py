"""The note classifier trains through the shared Trainer and exports a pipeline-ready folder."""

import numpy as np
from transformers import pipeline

from hfsynth.models.note_classifier.training_note_classifier import NoteClassifierRecipe
from hfsynth.training import Trainer, TrainingConfig


def test_recipe_learns_pitch_and_exports_a_pipeline_folder(tmp_path):
    recipe = NoteClassifierRecipe(
        data=dict(programs=[0, 40], pitches=[60, 63], velocities=[100], duration_in_s=[0.5, 0.6]),
        model=dict(n_mels=32, channels=[8, 16], embedding_size=32, n_fft=512, hop_length=128,
                   pitch_min=60, pitch_max=63, dropout=0.0),
        holdout_fraction=0.0, cache_dir=str(tmp_path / "cache"), crop_seconds=(0.3, 0.4), max_offset_seconds=0.05,
    )
    config = TrainingConfig(output_dir=str(tmp_path / "run"), max_steps=60, batch_size=8, learning_rate=3e-3,
                            log_every=10, save_every=60)
    history = Trainer(recipe, config).train().history
    assert history[-1]["model/loss"] < history[0]["model/loss"] - 1.0
    assert history[-1]["model/pitch_accuracy"] >= 0.75  # 4 pitches: chance is 0.25

    classify = pipeline("audio-classification", model=str(tmp_path / "run" / "final"))
    tone = (0.3 * np.sin(2 * np.pi * 261.63 * np.arange(8000) / 16000)).astype(np.float32)
    assert classify({"raw": tone, "sampling_rate": 16000}, top_k=1)[0]["label"] in recipe.config.instrument_families
