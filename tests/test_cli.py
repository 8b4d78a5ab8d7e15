import numpy as np
import pytest

from hfsynth.audio import read_audio, write_audio
from hfsynth.cli import USAGE_ERROR, main
from toy_models import save_toy_gain, save_toy_sine


def test_generate_writes_the_requested_length(tmp_path, capsys):
    out = tmp_path / "a.wav"
    code = main(["generate", "--model", save_toy_sine(tmp_path / "m"), "--prompt", "note 69", "--seconds", "0.25",
                 "--seed", "1", "--out", str(out)])
    audio, rate = read_audio(out)
    assert code == 0 and audio.shape == (rate // 4,) and "wrote" in capsys.readouterr().out


def test_generate_rejects_non_positive_seconds(tmp_path, capsys):
    code = main(["generate", "--model", save_toy_sine(tmp_path / "m"), "--seconds", "0", "--out", str(tmp_path / "a.wav")])
    assert code == USAGE_ERROR and "--seconds" in capsys.readouterr().err
    assert not (tmp_path / "a.wav").exists()


def test_transform_writes_output_and_stems(tmp_path):
    wav = write_audio(tmp_path / "in.wav", np.full(8000, 0.5, np.float32), 8000)
    assert main(["transform", "--model", save_toy_gain(tmp_path / "g"), "--in", str(wav), "--out", str(tmp_path / "o.wav")]) == 0
    assert np.allclose(read_audio(tmp_path / "o.wav")[0], 0.25, atol=1e-3)
    separator = save_toy_gain(tmp_path / "s", stem_names=["bass", "other"])
    assert main(["transform", "--model", separator, "--in", str(wav), "--out", str(tmp_path / "mix.wav")]) == 0
    assert (tmp_path / "mix_bass.wav").is_file() and (tmp_path / "mix_other.wav").is_file()


def test_transform_missing_input_is_exit_code_2(tmp_path, capsys):
    code = main(["transform", "--model", str(tmp_path), "--in", str(tmp_path / "nope.wav"), "--out", str(tmp_path / "o.wav")])
    assert code == USAGE_ERROR and "not found" in capsys.readouterr().err


def test_every_subcommand_has_help(capsys):
    from hfsynth.commands import COMMANDS

    for name in COMMANDS:
        with pytest.raises(SystemExit) as exit_info:
            main([name, "--help"])
        assert exit_info.value.code == 0
        assert "usage: hfsynth" in capsys.readouterr().out
