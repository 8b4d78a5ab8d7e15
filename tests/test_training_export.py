"""``export_checkpoint`` / ``hfsynth export``: any checkpoint becomes the folder a finished run would write."""

from __future__ import annotations

import json

import pytest
import torch
import yaml
from safetensors.torch import load_file
from test_training_recipes import LinearRegressionRecipe, tiny_config

from hfsynth.cli import main as cli
from hfsynth.training import Trainer, export_checkpoint, store_in_half_precision

RECIPE = "test_training_recipes:LinearRegressionRecipe"


class MeasuringRecipe(LinearRegressionRecipe):
    """Its export writes a statistic that only ``train_dataset`` measures (as Musika's onset-rate quartiles)."""

    export_reads_data = True

    def train_dataset(self):
        dataset = super().train_dataset()
        self.measured_examples = len(dataset)
        return dataset

    def export(self, output_dir, modules):
        super().export(output_dir, modules)
        (output_dir / "measured.txt").write_text(str(self.measured_examples))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A 6-step run with EMA, checkpoints at steps 3 and 6, and the run file a ``hfsynth train`` leaves."""
    output = tmp_path_factory.mktemp("run")
    config = tiny_config(output, max_steps=6, save_every=3, keep_last=5, ema_decay=0.8)
    Trainer(LinearRegressionRecipe(), config).train()
    (output / "run.yaml").write_text(yaml.safe_dump({"recipe": RECIPE, "recipe_args": {}, "training": config.to_dict()}))
    return output


def test_exporting_the_last_checkpoint_gives_the_runs_own_export(run, tmp_path):
    folder = export_checkpoint(run / "checkpoints" / "step-00000006", tmp_path / "model")
    exported, final = load_file(str(folder / "model.safetensors")), load_file(str(run / "final" / "model.safetensors"))
    assert exported.keys() == final.keys()
    for name in final:
        assert torch.equal(exported[name], final[name])


def test_raw_weights_of_an_earlier_step(run, tmp_path):
    checkpoint = run / "checkpoints" / "step-00000003"
    folder = export_checkpoint(checkpoint, tmp_path / "model", weights="raw")
    live = load_file(str(checkpoint / "model.model.safetensors"))
    exported = load_file(str(folder / "model.safetensors"))
    assert all(torch.equal(exported[name], live[name]) for name in live)
    averaged = export_checkpoint(checkpoint, tmp_path / "averaged")
    assert not torch.equal(load_file(str(averaged / "model.safetensors"))["weight"], live["weight"])


def test_cli_exports_and_refuses_to_overwrite(run, tmp_path, capsys):
    checkpoint = str(run / "checkpoints" / "step-00000006")
    assert cli(["export", "--checkpoint", checkpoint, "--out", str(tmp_path / "model")]) == 0
    assert (tmp_path / "model" / "model.safetensors").is_file()
    assert cli(["export", "--checkpoint", checkpoint, "--out", str(tmp_path / "model")]) == 2
    assert "already exists" in capsys.readouterr().err
    assert cli(["export", "--checkpoint", checkpoint, "--out", str(tmp_path / "model"), "--overwrite"]) == 0


@pytest.mark.parametrize("damage, match", [
    ("not a checkpoint", "not a training checkpoint"), ("no run file", "no run file"),
    ("no ema", "no moving average"), ("bad weights", "weights must be"), ("bad dtype", "storage_dtype must be"),
])
def test_bad_requests_are_clear_errors_and_write_nothing(run, tmp_path, damage, match):
    checkpoint, kwargs = run / "checkpoints" / "step-00000006", {}
    if damage == "not a checkpoint":
        checkpoint = run
    elif damage == "no run file":
        kwargs["run_file"] = tmp_path / "missing.yaml"
    elif damage == "no ema":
        copy = tmp_path / "runs" / "checkpoints" / "step-1"
        copy.mkdir(parents=True)
        for path in checkpoint.iterdir():
            if path.name != "ema.safetensors":
                (copy / path.name).write_bytes(path.read_bytes())
        checkpoint, kwargs["run_file"] = copy, run / "run.yaml"
    elif damage == "bad weights":
        kwargs["weights"] = "best"
    else:
        kwargs["storage_dtype"] = "bfloat16"
    with pytest.raises(ValueError, match=match):
        export_checkpoint(checkpoint, tmp_path / "model", **kwargs)
    assert not (tmp_path / "model").exists()
    assert not list(tmp_path.glob(".tmp-*"))


def test_a_recipe_whose_export_reads_the_data_gets_it_measured(run, tmp_path):
    run_file = tmp_path / "run.yaml"
    run_file.write_text((run / "run.yaml").read_text().replace(RECIPE, "test_training_export:MeasuringRecipe"))
    folder = export_checkpoint(run / "checkpoints" / "step-00000006", tmp_path / "model", run_file=run_file)
    assert (folder / "measured.txt").read_text() == "64"


def test_checkpoint_modules_gives_the_named_modules_with_the_chosen_weights(run):
    from hfsynth.training import checkpoint_modules

    checkpoint = run / "checkpoints" / "step-00000003"
    _, raw = checkpoint_modules(checkpoint, weights="raw", names=["model"])
    _, averaged = checkpoint_modules(checkpoint)
    live, ema = load_file(str(checkpoint / "model.model.safetensors")), load_file(str(checkpoint / "ema.safetensors"))
    assert set(raw) == set(averaged) == {"model"}
    assert torch.equal(raw["model"].weight.detach(), live["weight"])
    assert torch.equal(averaged["model"].weight.detach(), ema["weight"])
    assert checkpoint_modules(checkpoint, names=[])[1] == {}


def test_half_precision_export_halves_the_weights_and_nothing_else(run, tmp_path):
    checkpoint = run / "checkpoints" / "step-00000006"
    full = load_file(str(export_checkpoint(checkpoint, tmp_path / "full") / "model.safetensors"))
    assert cli(["export", "--checkpoint", str(checkpoint), "--out", str(tmp_path / "half"),
                "--storage-dtype", "float16"]) == 0
    half = load_file(str(tmp_path / "half" / "model.safetensors"))
    assert half.keys() == full.keys()
    for name, tensor in full.items():
        assert half[name].dtype == torch.float16
        assert torch.equal(half[name], tensor.half())


def test_half_precision_weights_load_back_as_float32(tmp_path):
    from toy_models import save_toy_sine
    from transformers import AutoModel

    folder = tmp_path / "toy"
    save_toy_sine(folder)
    config = json.loads((folder / "config.json").read_text())
    del config["dtype"]  # without it, transformers' dtype="auto" would keep the stored float16
    (folder / "config.json").write_text(json.dumps(config))
    store_in_half_precision(folder)
    assert json.loads((folder / "config.json").read_text())["dtype"] == "float32"
    model = AutoModel.from_pretrained(folder)
    assert model.gain.dtype == torch.float32
    assert model.gain.item() == 2.0


def test_weights_beyond_half_precision_are_refused_and_left_alone(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "model.safetensors"
    save_file({"small": torch.ones(2), "huge": torch.tensor([1e6])}, str(path))
    before = path.read_bytes()
    with pytest.raises(ValueError, match="beyond float16's range"):
        store_in_half_precision(tmp_path)
    assert path.read_bytes() == before
