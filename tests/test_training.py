"""The training engine in one process: learning, GAN group isolation, accumulation, EMA, checkpoints, resume."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch
from accelerate.state import AcceleratorState, GradientState
from safetensors.torch import load_file
from test_training_recipes import LinearRegressionRecipe, TinyGANRecipe, checkpoint_tensors, tiny_config

from hfsynth.training import (
    ExponentialMovingAverage,
    Trainer,
    TrainerCallback,
    latest_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from hfsynth.training.data import ShardedBatchSampler, ShardLayout


def losses(history: list[dict], key: str) -> list[float]:
    return [entry[key] for entry in history]


def test_linear_regression_learns_and_writes_run_files(tmp_path):
    result = Trainer(LinearRegressionRecipe(), tiny_config(tmp_path, max_steps=40, learning_rate=5e-2)).train()

    curve = losses(result.history, "model/loss")
    assert len(curve) == 40 and result.final_step == 40
    assert curve[-1] < 0.1 * curve[0]
    assert len((tmp_path / "log.jsonl").read_text().splitlines()) == 40
    assert (tmp_path / "training_config.yaml").is_file()
    assert (tmp_path / "final" / "model.safetensors").is_file()
    assert [path.name for path in (tmp_path / "checkpoints").iterdir()] == ["step-00000040"]


def test_an_accelerate_tracker_gets_the_logged_averages(tmp_path, fresh_accelerate_state):
    import csv

    config = tiny_config(tmp_path, max_steps=6, log_every=2, learning_rate=5e-2, log_with="csv")
    result = Trainer(LinearRegressionRecipe(), config).train()
    with (tmp_path / "metrics.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["step"]) for row in rows] == [2, 4, 6]
    assert [float(row["model/loss"]) for row in rows] == pytest.approx(losses(result.history, "model/loss"))
    assert len((tmp_path / "log.jsonl").read_text().splitlines()) == 3           # the log is kept either way


class HubDatasetRegressionRecipe(LinearRegressionRecipe):
    """The same regression fed from a ``datasets.Dataset`` of dict rows."""

    def train_dataset(self):
        import datasets

        return datasets.Dataset.from_dict({"x": self.inputs.tolist(), "y": self.targets.tolist()}).with_format("torch")

    def compute_loss(self, group, batch, models, step):
        return super().compute_loss(group, (batch["x"], batch["y"]), models, step)


def test_hugging_face_datasets_train_like_tensor_datasets(tmp_path):
    hub = Trainer(HubDatasetRegressionRecipe(), tiny_config(tmp_path / "hub", max_steps=3)).train()
    tensors = Trainer(LinearRegressionRecipe(), tiny_config(tmp_path / "tensors", max_steps=3)).train()
    np.testing.assert_allclose(losses(hub.history, "model/loss"), losses(tensors.history, "model/loss"), rtol=1e-6)


class GroupIsolationProbe(TrainerCallback):
    """Records, at each optimizer step, which parameters changed and which hold gradients."""

    def __init__(self) -> None:
        self.snapshot: dict[str, torch.Tensor] | None = None
        self.checks: list[tuple[str, set[str], set[str]]] = []  # (event, modules changed, modules with grads)

    def _compare(self, trainer: Trainer, event: str) -> None:
        current = {
            name: torch.cat([p.detach().flatten() for p in m.parameters()]) for name, m in trainer.modules.items()
        }
        if self.snapshot is not None:
            changed = {name for name in current if not torch.equal(current[name], self.snapshot[name])}
            with_grads = {
                name for name, m in trainer.modules.items() if any(p.grad is not None for p in m.parameters())
            }
            self.checks.append((event, changed, with_grads))
        self.snapshot = current

    def on_before_optimizer_step(self, trainer: Trainer, group: str) -> None:
        self._compare(trainer, f"before {group} step")

    def on_step_end(self, trainer: Trainer, step: int, logs: dict[str, float]) -> None:
        self._compare(trainer, "step end")


def test_gan_groups_update_only_their_own_parameters(tmp_path):
    probe = GroupIsolationProbe()
    trainer = Trainer(TinyGANRecipe(), tiny_config(tmp_path, max_steps=3), callbacks=[probe])
    probe.snapshot = {
        name: torch.cat([p.detach().flatten() for p in m.parameters()]) for name, m in trainer.modules.items()
    }
    trainer.train()

    # Per step: before D's update nothing moved and only D has gradients; before G's update only D
    # moved (D's step) and only G has gradients; at the end only G moved (G's step), no gradients left.
    expected = [
        ("before discriminator step", set(), {"discriminator"}),
        ("before generator step", {"discriminator"}, {"generator"}),
        ("step end", {"generator"}, set()),
    ]
    assert probe.checks == expected * 3
    assert all(p.requires_grad for m in trainer.modules.values() for p in m.parameters())


def test_gradient_accumulation_equals_a_twice_bigger_batch(tmp_path):
    settings = dict(max_steps=4, max_grad_norm=0.5, ema_decay=0.9)
    accumulated = Trainer(
        TinyGANRecipe(noise="data"),
        tiny_config(tmp_path / "a", batch_size=4, gradient_accumulation_steps=2, **settings),
    ).train()
    single = Trainer(TinyGANRecipe(noise="data"), tiny_config(tmp_path / "b", batch_size=8, **settings)).train()

    for key in ("discriminator/loss", "generator/loss", "generator/grad_norm"):
        np.testing.assert_allclose(losses(accumulated.history, key), losses(single.history, key), rtol=1e-5)
    weights_a = checkpoint_tensors(latest_checkpoint(tmp_path / "a"))
    weights_b = checkpoint_tensors(latest_checkpoint(tmp_path / "b"))
    for name, tensor in weights_b.items():
        torch.testing.assert_close(weights_a[name], tensor, rtol=0, atol=1e-6)


class WeightRecorder(TrainerCallback):
    def __init__(self) -> None:
        self.weights: list[dict[str, torch.Tensor]] = []

    def on_step_end(self, trainer: Trainer, step: int, logs: dict[str, float]) -> None:
        self.weights.append({k: v.detach().clone() for k, v in trainer.modules["model"].state_dict().items()})


def test_ema_averages_weights_and_is_what_gets_exported(tmp_path):
    recorder = WeightRecorder()
    trainer = Trainer(LinearRegressionRecipe(), tiny_config(tmp_path, max_steps=5, ema_decay=0.8), callbacks=[recorder])
    expected = {k: v.detach().clone() for k, v in trainer.modules["model"].state_dict().items()}
    trainer.train()

    for weights in recorder.weights:
        expected = {k: 0.8 * expected[k] + 0.2 * weights[k] for k in expected}
    for name, tensor in expected.items():
        torch.testing.assert_close(trainer.ema.shadow[name], tensor)
    exported = load_file(str(tmp_path / "final" / "model.safetensors"))
    saved = load_file(str(tmp_path / "checkpoints" / "step-00000005" / "model.model.safetensors"))
    for name, tensor in expected.items():
        torch.testing.assert_close(exported[name], tensor)  # export: averaged weights
        assert torch.equal(saved[name], recorder.weights[-1][name])  # checkpoint: live weights
        assert torch.equal(trainer.modules["model"].state_dict()[name], recorder.weights[-1][name])


def test_checkpoint_round_trip_is_exact(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, betas=(0.5, 0.9))
    ema = ExponentialMovingAverage(model, 0.9)
    for _ in range(3):
        model(torch.randn(4, 3)).square().mean().backward()
        optimizer.step()
        optimizer.zero_grad()
        ema.update(model)
    save_checkpoint(
        tmp_path,
        trainer_state={"step": 3, "num_processes": 1, "ema_updates": ema.num_updates},
        modules={"model": model},
        optimizers={"model": optimizer},
        ema=ema,
        process_index=0,
        is_main=True,
    )
    draws = (random.random(), np.random.rand(), torch.rand(3))

    fresh = torch.nn.Linear(3, 2)
    fresh_optimizer = torch.optim.AdamW(fresh.parameters(), lr=1.0)
    fresh_ema = ExponentialMovingAverage(fresh, 0.9)
    random.seed(5), np.random.seed(5), torch.manual_seed(5)
    state = load_checkpoint(
        tmp_path,
        modules={"model": fresh},
        optimizers={"model": fresh_optimizer},
        ema=fresh_ema,
        process_index=0,
        num_processes=1,
    )

    assert state["step"] == 3
    assert (random.random(), np.random.rand()) == draws[:2] and torch.equal(torch.rand(3), draws[2])
    for name, tensor in model.state_dict().items():
        assert torch.equal(fresh.state_dict()[name], tensor)
        assert torch.equal(fresh_ema.shadow[name], ema.shadow[name])
    original, loaded = optimizer.state_dict(), fresh_optimizer.state_dict()
    assert loaded["param_groups"] == original["param_groups"]  # betas stay a tuple
    for index, slots in original["state"].items():
        for slot, value in slots.items():
            assert torch.equal(loaded["state"][index][slot], value)
    assert fresh_ema.num_updates == 3


class Crash(Exception):
    pass


class CrashAt(TrainerCallback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, trainer: Trainer, step: int, logs: dict[str, float]) -> None:
        if step == self.step:
            raise Crash(f"simulated kill after step {step}")


@pytest.mark.parametrize("interruption", ["crash", "max_steps"])
def test_kill_and_resume_reproduces_the_uninterrupted_run(tmp_path, interruption):
    # 48 examples / batch 8 = 6 steps per epoch: the run crosses an epoch; resume lands mid-epoch.
    # After a crash, log windows (log_every=3) straddle the step-4 checkpoint: their sums must resume too.
    log_every = 3 if interruption == "crash" else 1
    settings = dict(
        max_steps=8, save_every=2, keep_last=2, ema_decay=0.9, warmup_steps=3, max_grad_norm=1.0, log_every=log_every
    )
    reference = Trainer(TinyGANRecipe(), tiny_config(tmp_path / "reference", **settings)).train()

    run_dir = tmp_path / "interrupted"
    if interruption == "crash":  # killed after step 5: the last checkpoint is step 4
        with pytest.raises(Crash):
            Trainer(TinyGANRecipe(), tiny_config(run_dir, **settings), callbacks=[CrashAt(5)]).train()
    else:
        Trainer(TinyGANRecipe(), tiny_config(run_dir, **{**settings, "max_steps": 4})).train()
    resumed = Trainer(TinyGANRecipe(), tiny_config(run_dir, **settings, resume=True)).train()

    assert [entry["step"] for entry in resumed.history] == ([6, 8] if log_every == 3 else [5, 6, 7, 8])
    assert resumed.history == [entry for entry in reference.history if entry["step"] > 4]  # the very same numbers
    log = [json.loads(line) for line in (run_dir / "log.jsonl").read_text().splitlines()]
    assert log == [json.loads(line) for line in (tmp_path / "reference" / "log.jsonl").read_text().splitlines()]
    expected = checkpoint_tensors(latest_checkpoint(tmp_path / "reference"))
    got = checkpoint_tensors(latest_checkpoint(run_dir))
    assert expected.keys() == got.keys() and all(torch.equal(got[name], tensor) for name, tensor in expected.items())
    assert sorted(path.name for path in (run_dir / "checkpoints").iterdir()) == ["step-00000006", "step-00000008"]


def _corrupt(checkpoint, damage: str) -> None:
    if damage == "weights":
        (checkpoint / "model.generator.safetensors").write_bytes(b"\x00garbage" * 10)
    elif damage == "truncated rng":
        path = checkpoint / "rng.0.safetensors"
        path.write_bytes(path.read_bytes()[:50])
    elif damage == "missing optimizer":
        (checkpoint / "optimizer.discriminator.json").unlink()
    elif damage == "state":
        (checkpoint / "trainer_state.json").write_text("{not json")


@pytest.mark.parametrize("damage", ["weights", "truncated rng", "missing optimizer", "state", "other recipe"])
def test_damaged_or_mismatched_checkpoint_raises_value_error(tmp_path, damage):
    Trainer(TinyGANRecipe(), tiny_config(tmp_path, max_steps=1)).train()
    _corrupt(latest_checkpoint(tmp_path), damage)
    recipe = TinyGANRecipe(hidden=5) if damage == "other recipe" else TinyGANRecipe()
    with pytest.raises(ValueError, match="checkpoint"):
        Trainer(recipe, tiny_config(tmp_path, max_steps=2, resume=True)).train()


def test_missing_checkpoint_directory_and_unrequested_overwrite_raise(tmp_path):
    model = torch.nn.Linear(2, 1)
    with pytest.raises(ValueError, match="does not exist"):
        load_checkpoint(
            tmp_path / "nope", modules={"model": model}, optimizers={}, ema=None, process_index=0, num_processes=1
        )
    Trainer(LinearRegressionRecipe(), tiny_config(tmp_path, max_steps=1)).train()
    with pytest.raises(ValueError, match="resume"):
        Trainer(LinearRegressionRecipe(), tiny_config(tmp_path, max_steps=2))


def test_sharding_gives_every_layout_the_same_examples_per_step():
    def step_examples(batch_size: int, processes: int, accumulation: int, start: int = 0) -> list[list[int]]:
        shards = [
            list(
                ShardedBatchSampler(
                    40, ShardLayout(batch_size, processes, rank, accumulation), seed=3, epoch=1, start=start
                )
            )
            for rank in range(processes)
        ]
        micro_batches = [index for group in zip(*shards) for batch in group for index in batch]
        step_size = batch_size * processes * accumulation
        return [micro_batches[i : i + step_size] for i in range(0, len(micro_batches), step_size)]

    one_process = step_examples(8, 1, 1)
    assert len(one_process) == 5 and len({i for step in one_process for i in step}) == 40
    assert step_examples(4, 2, 1) == one_process
    assert step_examples(4, 1, 2) == one_process
    assert step_examples(2, 2, 2) == one_process
    assert step_examples(2, 2, 2, start=4) == one_process[2:]  # 4 micro-batches = 2 steps in
    assert list(ShardedBatchSampler(40, ShardLayout(8, 1, 0, 1), seed=3, epoch=2)) != one_process


@pytest.fixture
def fresh_accelerate_state():
    """``accelerate`` keeps one mixed-precision setting per process; tests that change it reset it."""
    AcceleratorState._reset_state(reset_partial_state=True)
    GradientState._reset_state()
    yield
    AcceleratorState._reset_state(reset_partial_state=True)
    GradientState._reset_state()


def test_bf16_mixed_precision_trains_on_cpu(tmp_path, fresh_accelerate_state):
    result = Trainer(TinyGANRecipe(), tiny_config(tmp_path, max_steps=2, mixed_precision="bf16")).train()
    assert all(np.isfinite(entry["generator/loss"]) for entry in result.history)


def test_matching_weights_load_and_the_rest_start_fresh(tmp_path):
    from safetensors.torch import save_model

    from hfsynth.training import load_matching_weights

    trained = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    save_model(trained, str(tmp_path / "trained.safetensors"))
    wider = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 5))  # a new head
    initial_head = wider[1].weight.detach().clone()
    assert load_matching_weights(wider, tmp_path / "trained.safetensors") == ["1.bias", "1.weight"]
    assert torch.equal(wider[0].weight, trained[0].weight) and torch.equal(wider[0].bias, trained[0].bias)
    assert torch.equal(wider[1].weight, initial_head)
    with pytest.raises(ValueError, match="no tensor"):
        load_matching_weights(torch.nn.Linear(7, 7), tmp_path / "trained.safetensors")
    with pytest.raises(ValueError, match="missing"):
        load_matching_weights(wider, tmp_path / "absent.safetensors")
