"""What every converter relies on: safe reading of pickled checkpoints, tensor mapping by table with
every key accounted for, output folders that appear whole or not at all, and the CLI's shape."""

import os
import pickle

import pytest
import torch

from hfsynth.cli import USAGE_ERROR, main
from hfsynth.conversion import FAMILIES, converter
from hfsynth.conversion.base import KeyMapping, fold_weight_norm, load_torch_checkpoint, resolve_source, write_folder


class RunsCode:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_a_checkpoint_that_would_run_code_is_refused(tmp_path):
    path = tmp_path / "evil.pth"
    with open(path, "wb") as handle:
        pickle.dump({"state_dict": RunsCode()}, handle)
    with pytest.raises(ValueError, match="evil.pth asks to run code"):
        load_torch_checkpoint(path)


def test_truncated_and_missing_checkpoints_are_named(tmp_path):
    path = tmp_path / "model.pth"
    torch.save({"weight": torch.zeros(100)}, path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="model.pth is truncated or not a torch checkpoint"):
        load_torch_checkpoint(path)
    with pytest.raises(ValueError, match="checkpoint file not found"):
        load_torch_checkpoint(tmp_path / "absent.pth")


def test_allowed_globals_are_exactly_what_loads(tmp_path):
    import argparse

    path = tmp_path / "args.pth"
    torch.save([argparse.Namespace(layers=3), 7], path)
    with pytest.raises(ValueError, match="asks to run code"):
        load_torch_checkpoint(path)
    args, epoch = load_torch_checkpoint(path, allowed_globals=[argparse.Namespace])
    assert args.layers == 3 and epoch == 7


def test_key_mapping_accounts_for_every_tensor():
    mapping = KeyMapping(
        renames=[(r"layers\.(\d+)\.w", r"blocks.\1.weight")],
        derived={"head.weight": (("head_a", "head_b"), lambda t: torch.cat([t["head_a"], t["head_b"]]))},
        ignored=[r"optimizer\..*"],
    )
    target = {"blocks.0.weight": torch.zeros(2), "head.weight": torch.zeros(4)}
    source = {"layers.0.w": torch.ones(2), "head_a": torch.ones(2), "head_b": torch.ones(2), "optimizer.m": torch.ones(1)}
    mapped = mapping.apply(source, target, "ckpt")
    assert torch.equal(mapped["head.weight"], torch.ones(4)) and set(mapped) == set(target)
    with pytest.raises(ValueError, match="ckpt does not fit the model: no place for stray"):
        mapping.apply({**source, "stray": torch.ones(1)}, target, "ckpt")
    with pytest.raises(ValueError, match="nothing for blocks.0.weight"):
        mapping.apply({k: v for k, v in source.items() if k != "layers.0.w"}, target, "ckpt")
    with pytest.raises(ValueError, match=r"shapes differ: layers.0.w \(3,\) \(as blocks.0.weight, expected \(2,\)\)"):
        mapping.apply({**source, "layers.0.w": torch.ones(3)}, target, "ckpt")


def test_fold_weight_norm_matches_torch():
    conv = torch.nn.utils.weight_norm(torch.nn.Conv1d(3, 4, 5))
    torch.testing.assert_close(fold_weight_norm(conv.weight_g, conv.weight_v), conv.weight)


def test_a_failed_conversion_leaves_the_output_as_it_was(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("kept")

    def broken(folder):
        (folder / "config.json").write_text("{}")
        raise ValueError("weights do not fit")

    with pytest.raises(ValueError, match="weights do not fit"):
        write_folder(out, broken, "card")
    assert [p.name for p in tmp_path.iterdir()] == ["out"] and (out / "old.txt").read_text() == "kept"
    write_folder(out, lambda folder: (folder / "config.json").write_text("{}"), "# card")
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "config.json"]


def test_a_missing_source_is_named(tmp_path):
    with pytest.raises(ValueError, match="checkpoint folder not found: ./nowhere"):
        resolve_source("./nowhere", ["*.bin"], "checkpoint folder")


def test_every_family_has_a_converter_of_the_same_shape():
    for family in FAMILIES:
        try:
            spec = converter(family)
        except ModuleNotFoundError:
            continue  # a family whose converter is not written yet
        assert spec.family == family and callable(spec.convert)
        assert "--out" in spec.parser("x").format_help()
    with pytest.raises(ValueError, match="unknown family 'kazoo'"):
        converter("kazoo")


def test_the_cli_refuses_an_unknown_family(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["convert", "kazoo", "--out", "x"])
    assert exit_info.value.code == USAGE_ERROR


def test_junk_bytes_are_not_taken_for_code(tmp_path):
    path = tmp_path / "junk.pth"
    path.write_bytes(b"\x80\x02garbage" * 10)
    with pytest.raises(ValueError, match="junk.pth is truncated or not a torch checkpoint"):
        load_torch_checkpoint(path)
