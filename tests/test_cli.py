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


# ------------------------------------------------------------------ mistakes end in one line, exit 2
def one_line_error(capsys, argv: list[str]) -> str:
    capsys.readouterr()                       # forget what making the test's models printed
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == USAGE_ERROR and len(err.splitlines()) == 1, err
    return err


def test_a_model_folder_that_does_not_exist_is_one_line(tmp_path, capsys):
    err = one_line_error(capsys, ["generate", "--model", "/nonexistent/folder", "--out", str(tmp_path / "x.wav")])
    assert "no model folder at /nonexistent/folder" in err


def test_a_model_for_another_task_is_one_line(tmp_path, capsys):
    wav = write_audio(tmp_path / "in.wav", np.zeros(800, np.float32), 8000)
    err = one_line_error(capsys, ["transform", "--model", save_toy_sine(tmp_path / "sine"), "--in", str(wav),
                                  "--out", str(tmp_path / "o.wav")])
    assert "text-to-audio" in err and "hfsynth transform needs one for audio-to-audio" in err
    err = one_line_error(capsys, ["generate", "--model", save_toy_gain(tmp_path / "gain"), "--out", str(tmp_path / "o.wav")])
    assert "hfsynth generate needs one for text-to-audio" in err
    assert not (tmp_path / "o.wav").exists()


def test_an_unknown_output_format_is_one_line(tmp_path, capsys):
    err = one_line_error(capsys, ["generate", "--model", save_toy_sine(tmp_path / "m"), "--out", str(tmp_path / "x.mp4")])
    assert "x.mp4" in err and ".wav, .flac, .ogg" in err


@pytest.mark.parametrize("suffix", [".flac", ".ogg"])
def test_the_output_format_follows_the_file_name(tmp_path, suffix):
    out = tmp_path / f"a{suffix}"
    assert main(["generate", "--model", save_toy_sine(tmp_path / "m"), "--prompt", "note 69", "--seconds", "0.25",
                 "--out", str(out)]) == 0
    audio, rate = read_audio(out)
    assert rate == 8000 and audio.shape == (2000,) and np.abs(audio).max() > 0.1


# ------------------------------------------------------------------ the command itself
def test_version(capsys):
    from hfsynth import __version__

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.strip() == f"hfsynth {__version__}"


def test_python_dash_m_runs_the_command_line():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "hfsynth", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.startswith("hfsynth ")


def test_help_imports_neither_torch_nor_transformers():
    """``hfsynth --help`` (the console script's entry point) answers at once: parsing loads no model code."""
    import subprocess
    import sys

    script = ("import sys, hfsynth_launcher\nsys.argv = ['hfsynth', '--help']\ntry:\n    hfsynth_launcher.main()\n"
              "except SystemExit:\n    pass\nprint(sorted(m for m in ('torch', 'transformers', 'numpy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
