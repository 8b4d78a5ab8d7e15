"""Musika training through the shared Trainer: the autoencoder's reconstruction loss falls, the latent GAN
trains on the frozen autoencoder's latents and exports a text-to-audio folder; the run files build."""

from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import pipeline

from hfsynth.models.musika import MusikaAutoencoder
from hfsynth.models.musika.training_musika import (
    MusikaAutoencoderRecipe,
    MusikaLatentGANRecipe,
    audible_crop,
    random_crop,
)
from hfsynth.training import Trainer, TrainingConfig
from hfsynth.training.train import build_recipe, load_run_config
from test_musika_model import tiny_autoencoder_config

# One chorale at 8 kHz, three 1 s clips at 120 bpm: rendered once per module (~5 s).
MUSIC = {"scores": ["bach/bwv66.6"], "clip_in_s": 1.0, "max_clips_per_score": 3, "bpm": 120}
GENERATOR = dict(chunk_latents=8, upsample_factors=[2, 2], coordinate_channels=8, style_channels=8,
                 hidden_channels=32, discriminator_channels=32)


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("music"))


def test_random_crops_are_padded_when_short():
    assert random_crop(torch.ones(1, 3), 5).tolist() == [[1.0, 1.0, 1.0, 0.0, 0.0]]
    assert random_crop(torch.arange(10.0)[None], 4).shape == (1, 4)
    mostly_silent = torch.cat([torch.zeros(1, 1000), torch.ones(1, 10)], dim=1)
    assert audible_crop(mostly_silent, 20, tries=200).abs().sum() > 0     # a crop reaching the sound


def test_autoencoder_training_lowers_the_reconstruction_loss_and_exports(cache, tmp_path):
    recipe = MusikaAutoencoderRecipe(data=MUSIC, model=tiny_autoencoder_config().architecture(), crop_in_s=0.25,
                                     fft_sizes=(64, 128, 256), discriminator_fft_sizes=(256, 128),
                                     discriminator_channels=8, adversarial_start_step=12, discriminator_lead_steps=4,
                                     cache_dir=cache)
    config = TrainingConfig(output_dir=str(tmp_path / "ae"), max_steps=16, batch_size=2, learning_rate=3e-3,
                            log_every=1, save_every=1000, cpu=True, seed=0)
    result = Trainer(recipe, config).train()
    losses = [entry["autoencoder/mr_stft"] for entry in result.history]
    assert np.mean(losses[-4:]) < 0.8 * np.mean(losses[:3])
    assert "autoencoder/adversarial" in result.history[-1] and "autoencoder/adversarial" not in result.history[0]
    assert np.isfinite(result.history[-1]["discriminator/hinge"])
    assert isinstance(MusikaAutoencoder.from_pretrained(result.output_dir / "final"), MusikaAutoencoder)


def test_reconstruction_only_never_updates_the_discriminator(cache, tmp_path):
    recipe = MusikaAutoencoderRecipe(data=MUSIC, model=tiny_autoencoder_config().architecture(), crop_in_s=0.25,
                                     fft_sizes=(64, 128), discriminator_fft_sizes=(128,), discriminator_channels=4,
                                     adversarial_start_step=None, cache_dir=cache)
    config = TrainingConfig(output_dir=str(tmp_path / "ae"), max_steps=3, batch_size=2, learning_rate=3e-3,
                            log_every=1, save_every=1000, cpu=True, seed=0)
    trainer = Trainer(recipe, config)
    before = [p.detach().clone() for p in trainer.modules["discriminator"].parameters()]
    result = trainer.train()
    assert all("autoencoder/adversarial" not in entry for entry in result.history)
    assert all(torch.equal(a, b) for a, b in zip(before, trainer.modules["discriminator"].parameters()))


def test_latent_gan_trains_on_encoded_music_and_exports_a_text_to_audio_folder(cache, tmp_path):
    MusikaAutoencoder(tiny_autoencoder_config()).save_pretrained(tmp_path / "ae")
    recipe = MusikaLatentGANRecipe(autoencoder=str(tmp_path / "ae"), data=MUSIC, model=GENERATOR, cache_dir=cache)
    clips = recipe.train_dataset()
    assert len(clips) == 3 and clips[0]["latents"].shape == (8, 63) and float(clips[0]["tempo"]) == 120.0
    assert recipe.config.density_sparse <= recipe.config.density_dense
    config = TrainingConfig(output_dir=str(tmp_path / "gan"), max_steps=16, batch_size=2, learning_rate=2e-3,
                            log_every=1, save_every=1000, cpu=True, ema_decay=0.9, seed=0)
    trainer = Trainer(recipe, config)
    frozen = {k: v.clone() for k, v in trainer.modules["generator"].autoencoder.state_dict().items()}
    result = trainer.train()
    critic_losses = [entry["discriminator/loss"] for entry in result.history]
    assert np.mean(critic_losses[-4:]) < np.mean(critic_losses[:3])           # the critic learns to tell them apart
    assert all(np.isfinite(entry["generator/loss"]) for entry in result.history)
    readings = [entry["discriminator/condition_error"] for entry in result.history]
    assert np.mean(readings[-4:]) < np.mean(readings[:3])                     # it learns to read the tempo
    for key, value in trainer.modules["generator"].autoencoder.state_dict().items():
        assert torch.equal(value, frozen[key]), f"the frozen autoencoder moved: {key}"
    tta = pipeline("text-to-audio", model=str(result.output_dir / "final"))
    audio = tta("120 bpm, sparse", forward_params={"audio_length_in_s": 0.7})["audio"]
    assert audio.shape == (5600,) and np.isfinite(audio).all()


def test_condition_error_counts_only_the_given_conditions():
    predicted = torch.tensor([[1.0, 5.0], [0.0, 2.0]])
    conditioning = torch.tensor([[0.0, 1.0, 0.0, 0.0],       # tempo code 0 given; density not given
                                 [0.0, 0.0, 1.0, 1.0]])      # density code 1 given
    error = MusikaLatentGANRecipe.condition_error(predicted, conditioning)
    assert error.item() == pytest.approx((1.0 ** 2 + 1.0 ** 2) / 2)
    assert MusikaLatentGANRecipe.condition_error(predicted, torch.zeros(2, 4)).item() == 0.0


def test_the_latent_gan_needs_an_autoencoder_folder(tmp_path):
    with pytest.raises(ValueError, match="config.json"):
        MusikaLatentGANRecipe(autoencoder=str(tmp_path))


@pytest.mark.parametrize("name", ["musika_ae_small", "musika_small"])
def test_the_run_files_parse(name):
    run = load_run_config(Path(__file__).parents[1] / "configs" / f"{name}.yaml")
    if name == "musika_ae_small":
        recipe = build_recipe(run.recipe, run.recipe_args)
        assert recipe.config.sampling_rate == 16000 and recipe.config.samples_per_latent == 512
        assert recipe.crop % recipe.config.samples_per_latent == 0
    else:
        assert run.recipe.endswith("MusikaLatentGANRecipe") and run.recipe_args["autoencoder"].endswith("final")
        assert run.training.ema_decay is not None
