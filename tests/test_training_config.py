"""TrainingConfig validation and YAML, run files, overrides and the ``hfsynth train`` command."""

from __future__ import annotations

import pytest
from test_training_recipes import EXAMPLE_CONFIG, LinearRegressionRecipe

from hfsynth import cli
from hfsynth.training import TrainingConfig
from hfsynth.training.train import build_recipe, load_run_config, parse_overrides


def test_unknown_keys_are_named():
    with pytest.raises(ValueError, match=r"unknown training setting\(s\) \['bach_size', 'max_step'\]"):
        TrainingConfig.from_dict({"max_step": 3, "bach_size": 2})


@pytest.mark.parametrize(
    "settings",
    [
        {"batch_size": 0},
        {"max_steps": 2.5},
        {"learning_rate": "fast"},
        {"mixed_precision": "fp8"},
        {"ema_decay": 1.0},
        {"adam_betas": [0.9]},
        {"max_grad_norm": -1.0},
        {"resume": "yes"},
    ],
)
def test_invalid_values_raise_value_error(settings):
    with pytest.raises(ValueError, match=next(iter(settings))):
        TrainingConfig(**settings)


def test_yaml_round_trip_and_run_file_section(tmp_path):
    config = TrainingConfig(output_dir="runs/x", learning_rate=3e-4, adam_betas=(0.0, 0.99), ema_decay=0.999)
    assert TrainingConfig.from_yaml(config.to_yaml(tmp_path / "c.yaml")) == config

    loaded = TrainingConfig.from_yaml(EXAMPLE_CONFIG, max_steps=7)  # reads the run file's training: section
    assert loaded.learning_rate == 2e-3 and loaded.adam_epsilon == 1e-8  # "2e-3" is a float, not a string
    assert loaded.adam_betas == (0.5, 0.99) and loaded.max_steps == 7


def test_run_file_overrides_are_routed_and_parsed():
    run = load_run_config(
        EXAMPLE_CONFIG,
        parse_overrides(["--max_steps", "3", "--recipe_args.hidden=4", "--training.learning_rate", "1e-4"]),
    )
    assert run.recipe == "test_training_recipes:TinyGANRecipe"
    assert run.recipe_args == {"examples": 64, "hidden": 4, "noise": "rng"}
    assert (run.training.max_steps, run.training.learning_rate) == (3, 1e-4)
    with pytest.raises(ValueError, match="unknown training setting"):
        load_run_config(EXAMPLE_CONFIG, [("recipe_arg.hidden", "4")])
    with pytest.raises(ValueError, match="needs a value"):
        parse_overrides(["--max_steps"])


@pytest.mark.parametrize(
    ("spec", "args", "message"),
    [
        ("test_training_recipes.LinearRegressionRecipe", {}, "package.module:ClassName"),
        ("no_such_module:Recipe", {}, "cannot import"),
        ("test_training_recipes:tiny_config", {}, "not a TrainingRecipe"),
        ("test_training_recipes:LinearRegressionRecipe", {"width": 3}, "recipe_args do not fit"),
    ],
)
def test_bad_recipes_raise_value_error(spec, args, message):
    with pytest.raises(ValueError, match=message):
        build_recipe(spec, args)
    assert isinstance(
        build_recipe("test_training_recipes:LinearRegressionRecipe", {"features": 2}), LinearRegressionRecipe
    )


def test_cli_trains_the_example_config(tmp_path, capsys):
    settings = [f"output_dir={tmp_path}", "max_steps=2", "cpu=true", "save_every=1", "recipe_args.noise=data"]
    assert cli.main(["train", "--config", str(EXAMPLE_CONFIG), *[f"--set={item}" for item in settings]]) == 0
    assert "trained 2 steps" in capsys.readouterr().out
    assert (tmp_path / "final" / "generator" / "generator.safetensors").is_file()
    saved = load_run_config(tmp_path / "run.yaml")           # the run as trained, overrides applied
    assert saved.recipe_args["noise"] == "data" and saved.training.max_steps == 2
    assert saved == load_run_config(EXAMPLE_CONFIG, [tuple(item.split("=", 1)) for item in settings])


def test_cli_reports_bad_settings_with_exit_code_2(tmp_path, capsys):
    assert cli.main(["train", "--config", str(EXAMPLE_CONFIG), "--set", "bogus=1"]) == 2
    assert "bogus" in capsys.readouterr().err
    assert cli.main(["train", "--config", str(tmp_path / "missing.yaml")]) == 2
