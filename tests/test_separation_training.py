"""Separator training: remixed crops, the loss falling over a few Trainer steps on a rendered chorale,
the exported folder, held-out scoring and the shipped run file."""

import math
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import torch
from transformers import pipeline

from hfsynth.models.separation.evaluation_separation import evaluate_separation
from hfsynth.models.separation.training_separation import SeparationRecipe, random_crop
from hfsynth.training import Trainer, TrainingConfig
from hfsynth.training.train import build_recipe, load_run_config
from test_separation_model import RATE, tiny_config

# A 4-part, 4-second "chorale" (soprano .. bass, a note every 0.5 s), rendered at 8 kHz in 1 s clips
# with the default instruments: choir aahs, piano, piano, acoustic bass.
VOICES = {"Soprano": [72, 74, 76, 77], "Alto": [64, 65, 67, 69], "Tenor": [55, 57, 59, 60], "Bass": [36, 38, 40, 41]}


def write_chorale(path: Path) -> str:
    midi = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    for name, pitches in VOICES.items():
        part = pretty_midi.Instrument(program=0, name=name)
        part.notes = [pretty_midi.Note(90, pitches[i % 4], 0.5 * i, 0.5 * i + 0.45) for i in range(8)]
        midi.instruments.append(part)
    midi.write(str(path))
    return str(path)


@pytest.fixture(scope="module")
def recipe(tmp_path_factory) -> SeparationRecipe:
    folder = tmp_path_factory.mktemp("music")
    data = {"scores": [write_chorale(folder / "chorale.mid")], "sampling_rate": RATE, "clip_in_s": 1.0}
    model = tiny_config(hidden_size=32).to_dict()
    return SeparationRecipe(data=data, model=model, holdout_fraction=0.0, segment_samples=4000,
                            remix_probability=0.5, cache_dir=str(folder / "cache"))


def test_random_crop_pads_short_audio():
    assert torch.equal(random_crop(torch.arange(2.0), 4), torch.tensor([0.0, 1.0, 0.0, 0.0]))
    assert random_crop(torch.zeros(3, 10), 4).shape == (3, 4)


def test_batches_are_crops_whose_stems_sum_to_the_mixture(recipe):
    clips = recipe.train_dataset()
    assert len(clips) == 4
    batch = recipe.collate([clips[i] for i in range(4)])
    assert batch["mixture"].shape == (4, 1, 4000) and batch["stems"].shape == (4, 3, 1, 4000)
    assert torch.allclose(batch["stems"].sum(dim=1), batch["mixture"], atol=1e-6)
    assert (batch["stems"].abs().amax(dim=-1) > 1e-3).float().mean() > 0.5  # the stems are mostly not silent


def test_a_few_trainer_steps_lower_the_loss_and_export_a_pipeline_folder(recipe, tmp_path):
    config = TrainingConfig(output_dir=str(tmp_path / "run"), max_steps=30, batch_size=4, learning_rate=3e-3,
                            log_every=5, save_every=1000, cpu=True)
    result = Trainer(recipe, config).train()
    losses = [entry["model/loss"] for entry in result.history]
    assert all(math.isfinite(value) for value in losses)
    assert losses[-1] < 0.9 * losses[0]
    final = str(result.output_dir / "final")
    out = pipeline("audio-to-audio", model=final)({"raw": 0.1 * np.random.randn(RATE).astype(np.float32),
                                                   "sampling_rate": RATE})
    assert list(out["stems"]) == ["vocals", "bass", "other"]
    scores = evaluate_separation(recipe.modules()["model"], recipe.train_dataset(), max_clips=2)
    assert scores.clips == 2 and math.isfinite(scores.mean_sdr_improvement)


def test_the_small_run_file_builds_a_consistent_recipe():
    run = load_run_config(Path(__file__).parents[1] / "configs" / "separation_small.yaml")
    recipe = build_recipe(run.recipe, run.recipe_args)
    assert recipe.config.stem_names == ["vocals", "bass", "other"] and recipe.config.sampling_rate == 16000
    assert recipe.grouping.index_of("vocal") == 0 and recipe.grouping.index_of("keyboard") == 2
    assert 0 < recipe.holdout_fraction < 1 and run.training.ema_decay is not None


def test_evaluation_scores_sounding_stems_and_skips_one_part_clips():
    from test_separation_model import tiny_model

    t = torch.arange(RATE) / RATE
    low, high = 0.3 * torch.sin(2 * torch.pi * 60 * t), 0.2 * torch.sin(2 * torch.pi * 900 * t)
    two_parts = {"stems": torch.stack([high, low]), "stem_families": ["vocal", "bass"], "mixture": high + low}
    one_part = {"stems": high[None], "stem_families": ["vocal"], "mixture": high}
    scores = evaluate_separation(tiny_model(), [two_parts, one_part])
    assert (scores.clips, scores.skipped) == (1, 1)
    assert math.isnan(scores.sdr["other"]) and math.isfinite(scores.sdr_improvement["bass"])
    scored = [scores.sdr_improvement[name] for name in ("vocals", "bass")]
    assert scores.mean_sdr_improvement == pytest.approx(np.mean(scored))
