"""GANSynth training: progressive schedule, real spectrograms per stage, gradient penalty, a few Trainer
steps on rendered notes, the exported folder and the shipped run file."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import pipeline

from hfsynth.models.gansynth.training_gansynth import (
    GANSynthRecipe,
    ProgressiveSchedule,
    crop_or_pad,
    gradient_penalty,
    oversampled_indices,
    real_at_stage,
)
from hfsynth.training import Trainer, TrainingConfig
from hfsynth.training.train import build_recipe, load_run_config
from test_gansynth_model import tiny_config

# Two programs x C4-E4 at 8 kHz, 20 ms held in 40 ms clips: 10 notes, rendered once per test session.
NOTES = {"programs": [0, 40], "pitches": [60, 64], "velocities": [100], "duration_in_s": [0.02, 0.04]}


def test_the_schedule_trains_each_stage_then_fades_in_the_next():
    schedule = ProgressiveSchedule(num_stages=3, stable_steps=2, fade_steps=4)
    steps = [schedule.at(step) for step in range(16)]
    assert steps[:2] == [(0, 1.0), (0, 1.0)]
    assert steps[2:8] == [(1, 0.25), (1, 0.5), (1, 0.75), (1, 1.0), (1, 1.0), (1, 1.0)]
    assert steps[8:12] == [(2, 0.25), (2, 0.5), (2, 0.75), (2, 1.0)]
    assert steps[12:] == [(2, 1.0)] * 4 and schedule.total_steps == 14
    assert ProgressiveSchedule(3, 1, 0).at(1) == (1, 1.0)             # no fade: stages switch at once
    with pytest.raises(ValueError, match="stable_steps"):
        ProgressiveSchedule(3, 0, 1)


def test_real_spectrograms_are_pooled_to_the_stage_and_faded_like_the_generator():
    top = torch.randn(2, 2, 32, 16)
    assert torch.equal(real_at_stage(top, 3, 1.0, 4), top)
    stage_1 = real_at_stage(top, 1, 1.0, 4)
    torch.testing.assert_close(stage_1, torch.nn.functional.avg_pool2d(top, 4))
    faded = real_at_stage(top, 1, 0.0, 4)                                 # alpha 0: the coarser stage, upsampled
    torch.testing.assert_close(faded, torch.nn.functional.interpolate(real_at_stage(top, 0, 1.0, 4), scale_factor=2))


def test_gradient_penalty_of_a_linear_critic():
    weight = torch.randn(6, requires_grad=True)

    def critic(x):
        return x.flatten(1) @ weight

    penalty = gradient_penalty(critic, torch.randn(4, 2, 3), torch.randn(4, 2, 3))
    torch.testing.assert_close(penalty, (weight.norm() - 1) ** 2)
    penalty.backward()                                                    # create_graph: the penalty trains the critic
    torch.testing.assert_close(weight.grad, 2 * (weight.norm() - 1) * weight / weight.norm())


def test_notes_are_cut_or_padded_from_their_onset():
    assert torch.equal(crop_or_pad(torch.arange(5.0), 3), torch.tensor([0.0, 1.0, 2.0]))
    assert torch.equal(crop_or_pad(torch.arange(2.0), 4), torch.tensor([0.0, 1.0, 0.0, 0.0]))


@pytest.fixture(scope="module")
def recipe(tmp_path_factory) -> GANSynthRecipe:
    model = tiny_config(pitch_min=60, pitch_max=62).to_dict()  # C#4-E4 rows fall outside and are left out
    return GANSynthRecipe(data=NOTES, model=model, stable_steps=1, fade_steps=2, pitch_monitor_every=2,
                          cache_dir=str(tmp_path_factory.mktemp("notes")))


def test_the_recipe_keeps_notes_in_range_and_batches_spectrograms(recipe):
    notes = recipe.train_dataset()
    assert len(notes) == 6 and sorted({int(notes[i]["pitch"]) for i in range(len(notes))}) == [60, 61, 62]
    batch = recipe.collate([notes[i] for i in range(4)])
    assert batch["spectrogram"].shape == (4, 2, 32, 16) and batch["spectrogram"].abs().max() <= 1.0
    assert batch["pitch"].dtype == torch.long and batch["spectrogram"][:, 0].max() > -1.0  # not silence


def test_oversampling_repeats_only_the_low_notes(recipe):
    assert oversampled_indices([40, 60, 50, 70], below=55, factor=3) == [0, 0, 0, 1, 2, 2, 2, 3]
    recipe.oversample_below, recipe.oversample_factor = 61, 2
    try:
        notes = recipe.train_dataset()
    finally:
        recipe.oversample_below, recipe.oversample_factor = None, 1
    pitches = sorted(int(notes[i]["pitch"]) for i in range(len(notes)))
    assert pitches == [60, 60, 60, 60, 61, 61, 62, 62]  # two programs each; C4 twice over


@pytest.mark.parametrize("settings", [{"oversample_factor": 0}, {"oversample_factor": 1.5}, {"oversample_below": "C3"}])
def test_bad_oversampling_settings_are_refused(settings):
    with pytest.raises(ValueError, match="oversample"):
        GANSynthRecipe(model=tiny_config().to_dict(), **settings)


def test_a_few_trainer_steps_update_both_networks_and_export_a_pipeline_folder(recipe, tmp_path):
    config = TrainingConfig(output_dir=str(tmp_path / "run"), max_steps=5, batch_size=4, learning_rate=1e-3,
                            log_every=1, save_every=1000, ema_decay=0.9, cpu=True)
    trainer = Trainer(recipe, config)
    before = {name: {key: value.clone() for key, value in module.state_dict().items()}
              for name, module in trainer.modules.items()}
    result = trainer.train()
    assert [(entry["discriminator/stage"], entry["discriminator/alpha"]) for entry in result.history] == [
        (0, 1.0), (1, 0.5), (1, 1.0), (1, 1.0), (2, 0.5)]
    for entry in result.history:
        losses = [entry[key] for key in ("discriminator/loss", "generator/loss", "discriminator/gradient_penalty")]
        assert all(math.isfinite(value) for value in losses)
    assert any(entry["discriminator/gradient_penalty"] > 0 for entry in result.history)
    for name in ("generator", "discriminator"):
        module = trainer.modules[name]
        moved = [key for key, value in module.state_dict().items() if not torch.equal(value, before[name][key])]
        assert any(key.startswith(("input.", "head.")) for key in moved), f"{name} did not update"
    monitored = [entry for entry in result.history if "generator/template_pitch_accuracy" in entry]
    assert [entry["step"] for entry in monitored] == [1, 3, 5]          # pitch_monitor_every=2: steps 0, 2, 4 done
    assert all(0.0 <= entry["generator/template_pitch_accuracy"] <= 1.0 for entry in monitored)
    assert monitored[-1]["generator/template_pitch_accuracy_real"] > 0.5   # real notes C4-D4 are told apart
    tta = pipeline("text-to-audio", model=str(result.output_dir / "final"))
    audio = tta("D4", forward_params={"audio_length_in_s": 0.05})["audio"]
    assert audio.shape == (400,) and np.isfinite(audio).all()


def test_the_small_run_file_builds_a_consistent_recipe():
    run = load_run_config(Path(__file__).parents[1] / "configs" / "gansynth_small.yaml")
    recipe = build_recipe(run.recipe, run.recipe_args)
    config = recipe.config
    assert config.sampling_rate == 16000 and config.spectrogram_shape == (256, 64)
    assert run.training.max_steps >= recipe.schedule.total_steps
    assert list(recipe.data["pitches"]) == [config.pitch_min, config.pitch_max]
    assert run.training.ema_decay is not None


def test_the_critic_classifies_fakes_only_when_asked(recipe):
    """With ``classify_fakes=False`` the critic's loss lacks exactly the fakes' classification term."""
    from hfsynth.models.gansynth import GANSynthDiscriminator
    from hfsynth.training.recipe import RecipeModules

    critic = GANSynthDiscriminator(recipe.config)
    models = RecipeModules({"discriminator": critic}, {"discriminator": critic})
    rows, frames = recipe.config.stage_resolutions[-1]
    real, fake, labels = torch.randn(4, 2, rows, frames), torch.randn(4, 2, rows, frames), torch.tensor([0, 1, 2, 0])
    results = {}
    for classify_fakes in (True, False):
        recipe.classify_fakes = classify_fakes
        torch.manual_seed(1)                                              # the same gradient-penalty mix
        results[classify_fakes] = recipe.discriminator_loss(models, real, fake, labels, 1.0)
    recipe.classify_fakes = True
    (with_fakes, logs), (real_only, _) = results[True], results[False]
    assert logs["aux_fake"] > 0
    assert with_fakes.item() - real_only.item() == pytest.approx(recipe.config.aux_pitch_weight * logs["aux_fake"], rel=1e-4)


def test_the_projection_critic_scores_a_note_for_its_pitch(recipe):
    """With ``pitch_projection`` the score adds the pitch's logit, so the same note scores differently
    for different requested pitches, and the generator's adversarial term is that conditional score."""
    from hfsynth.models.gansynth import GANSynthDiscriminator
    from hfsynth.training.recipe import RecipeModules

    critic = GANSynthDiscriminator(recipe.config)
    models = RecipeModules({"discriminator": critic}, {"discriminator": critic})
    rows, frames = recipe.config.stage_resolutions[-1]
    fake, labels = torch.randn(4, 2, rows, frames), torch.tensor([0, 1, 2, 0])
    out = critic(fake)
    recipe.pitch_projection = True
    try:
        conditional = recipe.critic_score(out, labels)
        other_pitch = recipe.critic_score(out, (labels + 1) % recipe.config.num_pitches)
        _, logs = recipe.generator_loss(models, fake, labels, 1.0)
    finally:
        recipe.pitch_projection = False
    expected = out.scores + out.pitch_logits[torch.arange(4), labels]
    torch.testing.assert_close(conditional, expected)
    assert not torch.allclose(conditional, other_pitch)
    assert logs["adversarial"] == pytest.approx(-expected.mean().item(), rel=1e-5)
    torch.testing.assert_close(recipe.critic_score(out, labels), out.scores)   # off: unconditional


def test_a_warm_start_regrows_only_the_widened_top_stage(recipe, tmp_path):
    """``init_from`` + ``schedule_start``: a run with a wider top stage keeps every trained weight that
    fits and starts where the schedule fades that stage in."""
    from safetensors.torch import load_file

    config = TrainingConfig(output_dir=str(tmp_path / "run"), max_steps=2, batch_size=4, learning_rate=1e-3,
                            save_every=2, cpu=True)
    Trainer(recipe, config).train()
    checkpoint = tmp_path / "run" / "checkpoints" / "step-00000002"
    wide = tiny_config(pitch_min=60, pitch_max=62, channels=[16, 16, 8, 16]).to_dict()  # top stage 8 -> 16
    warm = GANSynthRecipe(data=NOTES, model=wide, stable_steps=1, fade_steps=2, pitch_monitor_every=None,
                          init_from=str(checkpoint), schedule_start=7, cache_dir=recipe.cache_dir)
    for name, module in warm.modules().items():
        trained, own = load_file(str(checkpoint / f"model.{name}.safetensors")), module.state_dict()
        same = {key for key in own if key in trained and torch.equal(own[key], trained[key])}
        assert "blocks.0.conv1.weight" in same, f"{name} lost a lower stage's weights"
        assert not any(key.startswith("blocks.2.conv1") for key in same), f"{name} kept a reshaped layer"
    history = Trainer(warm, TrainingConfig(output_dir=str(tmp_path / "warm"), max_steps=1, batch_size=4,
                                           log_every=1, cpu=True)).train().history
    assert (history[0]["discriminator/stage"], history[0]["discriminator/alpha"]) == (3, 0.5)  # schedule step 7
    with pytest.raises(ValueError, match="schedule_start"):
        GANSynthRecipe(model=wide, schedule_start=-1)
    with pytest.raises(ValueError, match="init_from"):
        GANSynthRecipe(model=wide, init_from=str(tmp_path / "absent"))
