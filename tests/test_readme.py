"""The README's first command (set up + main job) keeps working as written."""

import shlex
from pathlib import Path

import numpy as np

from hfsynth.audio import read_audio
from hfsynth.cli import main
from hfsynth.evaluation import pitch_accuracy_pyin

README = Path(__file__).resolve().parent.parent / "README.md"
PREFIX = "bash scripts/setup.sh && .venv/bin/hfsynth "


def readme_main_job() -> list[str]:
    line = next(line for line in README.read_text().splitlines() if line.startswith(PREFIX))
    return shlex.split(line[len(PREFIX):])


def test_readme_main_job_writes_the_promised_wav(tmp_path, monkeypatch):
    args = readme_main_job()
    out_name = args[args.index("--out") + 1]
    if "--model" in args:                               # a shipped folder, relative to the repository root
        args[args.index("--model") + 1] = str(README.parent / args[args.index("--model") + 1])
    monkeypatch.chdir(tmp_path)
    assert main(args) == 0
    audio, rate = read_audio(tmp_path / out_name)
    assert audio.shape[0] > rate and np.abs(audio).max() > 0.01
    if "--pitch" in args and args[args.index("--pitch") + 1] == "C4":
        assert pitch_accuracy_pyin(audio[: 2 * rate], rate, 60).accuracy == 1.0
