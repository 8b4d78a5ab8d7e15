"""audiocraft's own AudioGen LM, timed: the reference row of ``bench/audiogen_speed.py --size medium``.

Runs in audiocraft's side venv (how it is installed, and why its I/O packages are stubbed: the
docstring of ``tests/fixtures/audiogen/make_fixture.py``, whose helpers this script reuses)::

    /work/venvs/audiocraft/bin/python bench/audiogen_reference_speed.py --steps 20 --batch 1

It builds audiogen-medium's LM from audiocraft's own builders and configs at random init (speed does
not depend on the weights; a tiny T5 stands in for T5-large, which is run once per call and not part
of a decoding step), then times ``LMModel.generate`` with AudioGen's sampling (top-k 250, guidance 3
in one doubled batch) and prints one JSON line: decode steps per second of the fastest repeat.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "audiogen"))
import make_fixture  # noqa: E402  (audiocraft's stubs and config composition)

MEDIUM = make_fixture.Sizes(dim=1536, layers=48, heads=24, codebooks=4, card=2048, t5_dim=128)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="frames to generate (max_gen_len)")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--config-dir", default=None, help="audiocraft-1.3.0/config (see make_fixture.py)")
    args = parser.parse_args()
    make_fixture.install_stubs()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    from audiocraft.models import builders
    from audiocraft.modules.conditioners import ConditioningAttributes

    lm_cfg, _ = make_fixture.compose_configs(make_fixture.find_config_dir(args.config_dir), MEDIUM)
    lm_cfg.device = "cpu"
    with tempfile.TemporaryDirectory() as scratch:
        make_fixture.build_t5_folder(Path(scratch) / make_fixture.T5_NAME, MEDIUM, seed=0)
        make_fixture.register_t5(make_fixture.T5_NAME, MEDIUM.t5_dim)
        with make_fixture.working_dir(Path(scratch)):
            lm = builders.get_lm_model(lm_cfg).eval()
            conditions = [ConditioningAttributes(text={"description": "a dog barks while rain falls"})] * args.batch
            sampling = dict(max_gen_len=args.steps, use_sampling=True, top_k=250, cfg_coef=3.0, two_step_cfg=False)
            times = []
            with torch.inference_mode():
                lm.generate(prompt=None, conditions=conditions, **{**sampling, "max_gen_len": 2})  # warm-up
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    lm.generate(prompt=None, conditions=conditions, **sampling)
                    times.append(time.perf_counter() - start)
    steps = args.steps + MEDIUM.codebooks - 1  # the delay pattern's steps, as hfsynth counts them
    print(json.dumps({"model": "audiocraft LMModel (audiogen-medium)", "batch": args.batch, "steps": steps,
                      "seconds": min(times), "steps_per_s": steps / min(times),
                      "parameters": sum(p.numel() for p in lm.parameters())}))


if __name__ == "__main__":
    main()
