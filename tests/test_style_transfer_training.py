"""MelGAN-VC and CycleGAN recipes: chunk bookkeeping, TraVeL and margin losses, unpaired batches, a few
Trainer steps each (the identity / cycle terms fall), the exported folder and the shipped run files."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import pipeline

from hfsynth.models.style_transfer.training_style_transfer import (
    CycleGANRecipe,
    MelGANVCRecipe,
    join_chunks,
    margin_loss,
    split_chunks,
    travel_loss,
)
from hfsynth.training import Trainer, TrainingConfig
from hfsynth.training.train import build_recipe, load_run_config
from test_style_transfer_model import TINY

# One chorale at 8 kHz, piano vs string quartet, four 1 s clips: rendered once per test module.
DATA = {"scores": ["bach/bwv66.6"], "sampling_rate": 8000, "clip_in_s": 1.0, "max_clips_per_score": 4}
MELGANVC = {**TINY, "siamese_channels": [4, 8], "siamese_dim": 8, "num_splits": 2}


def test_chunks_split_and_join_back():
    spectrogram = torch.randn(3, 1, 4, 12)
    chunks = split_chunks(spectrogram, 4)
    assert chunks.shape == (9, 1, 4, 4)
    torch.testing.assert_close(chunks[1], spectrogram[0, :, :, 4:8])
    torch.testing.assert_close(join_chunks(chunks, 3), spectrogram)


def test_travel_loss_rewards_kept_vectors_and_margin_keeps_embeddings_apart():
    source = torch.randn(6, 5)
    assert travel_loss(source, source + 3.0).item() == pytest.approx(-1.0)   # a shift keeps every vector
    assert travel_loss(source, -source).item() > 1.0                          # reversed vectors
    assert margin_loss(torch.zeros(4, 5), 2.0).item() == pytest.approx(4.0)  # collapsed: (2 - 0)^2
    assert margin_loss(torch.arange(4.0)[:, None] * 10, 2.0).item() == 0.0


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return str(tmp_path_factory.mktemp("paired"))


def test_batches_are_unpaired_crops_of_the_chunk_width(cache):
    recipe = MelGANVCRecipe(data=DATA, model=MELGANVC, holdout_fraction=0.0, cache_dir=cache)
    clips = recipe.train_dataset()
    assert len(clips) == 4
    batch = recipe.collate([clips[i] for i in range(4)])
    assert batch["a"].shape == batch["b"].shape == (4, 1, 16, 16)             # 2 splits x 8 frames
    assert batch["a"].min() >= -1.0 and batch["b"].max() > -0.5


def _train(recipe, tmp_path, steps):
    config = TrainingConfig(output_dir=str(tmp_path / "run"), max_steps=steps, batch_size=4, learning_rate=3e-3,
                            log_every=1, save_every=1000, ema_decay=0.5, cpu=True, seed=0)
    return Trainer(recipe, config).train()


def test_melganvc_trains_its_identity_term_down_and_exports(cache, tmp_path):
    recipe = MelGANVCRecipe(data=DATA, model=MELGANVC, holdout_fraction=0.0, cache_dir=cache)
    result = _train(recipe, tmp_path, 12)
    history = result.history
    assert all(math.isfinite(entry[key]) for entry in history for key in ("discriminator/loss", "generator/loss"))
    first, last = np.mean([e["generator/identity"] for e in history[:3]]), np.mean([e["generator/identity"] for e in history[-3:]])
    assert last < first
    out = pipeline("audio-to-audio", model=str(result.output_dir / "final"))({"raw": np.random.randn(4000).astype(np.float32) * 0.1, "sampling_rate": 8000})
    assert out["audio"].shape == (4000,) and np.isfinite(out["audio"]).all()


def test_cyclegan_trains_its_cycle_term_down(cache, tmp_path):
    recipe = CycleGANRecipe(data=DATA, model=TINY, holdout_fraction=0.0, cache_dir=cache)
    history = _train(recipe, tmp_path, 12).history
    first, last = np.mean([e["generator/cycle"] for e in history[:3]]), np.mean([e["generator/cycle"] for e in history[-3:]])
    assert last < first and all(e["discriminator/lsgan_a"] >= 0 for e in history)


@pytest.mark.parametrize("name, recipe_class", [("styletransfer_melganvc_small", MelGANVCRecipe),
                                                 ("styletransfer_cyclegan_small", CycleGANRecipe)])
def test_the_small_run_files_build_consistent_recipes(name, recipe_class):
    run = load_run_config(Path(__file__).parents[1] / "configs" / f"{name}.yaml")
    recipe = build_recipe(run.recipe, run.recipe_args)
    assert isinstance(recipe, recipe_class) and recipe.config.sampling_rate == recipe.data["sampling_rate"] == 16000
    assert recipe.data["instruments_a"] == "piano" and recipe.data["instruments_b"] == "string_quartet"
    assert recipe.holdout_fraction > 0 and sum(p.numel() for p in recipe.modules()["model"].parameters()) < 2_000_000
