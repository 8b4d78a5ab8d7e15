"""GANSynth generation speed (network + spectral inversion) against WaveNet, or the published size against magenta.

    python bench/gansynth_speed.py [--threads 2] [--quick] [--model pipelines/gansynth-small]
    python bench/gansynth_speed.py --size published [--threads 2] [--quick] [--tf-python /work/venvs/tf/bin/python]

GANSynth paints a whole note in one forward pass, then inverts the spectrogram; WaveNet generates
one sample at a time. Both are untrained (speed does not depend on the weights), at the default
``GANSynthConfig`` (1.024 s notes at 16 kHz; "mag_if" and "mel_if") and a small WaveNet like
``configs/wavenet_vocoder_tiny.yaml`` without its mel (20 layers in 2 stacks, 64/128/64 channels).
WaveNet is slow, so it generates a few hundred samples and its time is extrapolated to the note's
length (its incremental cost per sample is constant, see ``bench/wavenet_speed.py``). ``--model``
times a model folder's configuration instead of the default one (random weights all the same).

``--size published`` times ``GANSynthConfig.published()`` (magenta's IF-Mel generator, 7.3 M
parameters, 4 s notes) at random init, and beside it magenta's own code (PyPI ``magenta==2.1.4``
in the TensorFlow venv ``--tf-python``, run as a subprocess, same threads): its generator and
``DataMelHelper.data_to_waves``, what ``gansynth_generate.py`` runs per batch. Both report the
peak resident memory of their process (read after each batch, smallest batch first).

Prints Markdown tables: seconds per batch, and the real-time factor (seconds of audio made per
second of compute; above 1 is faster than real time).
"""

from __future__ import annotations

import json
import resource
import subprocess
from pathlib import Path

import torch
from _common import bench_parser, best_time, machine_line, parse_bench_args

from hfsynth.models.gansynth import GANSynthConfig, GANSynthGenerator
from hfsynth.models.wavenet import WaveNetConfig, WaveNetModel

BATCHES = (1, 8)
TF_PYTHON = "/work/venvs/tf/bin/python"

#: Run by the TensorFlow venv's Python: argv = threads, batches (JSON), repeats; prints
#: {batch: [best seconds, peak RSS MB]}. The generator is built as magenta's ``Model`` builds it
#: (``g_fn_registry["specgram"]`` under the "Generator" scope, final stage), random-initialised.
MAGENTA_TIMING = r"""
import json, os, resource, sys, time, types
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.modules.setdefault("tensorflow_datasets", types.ModuleType("tensorflow_datasets"))  # only its datasets use it
import numpy as np
import tensorflow.compat.v1 as tf
tf.disable_v2_behavior()
from magenta.models.gansynth.configs import mel_prog_hires
from magenta.models.gansynth.lib import data_helpers, flags as lib_flags, model as lib_model
from magenta.models.gansynth.lib import network_functions, train_util

threads, batches, repeats = int(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
flags = lib_flags.Flags()
flags.load(mel_prog_hires.hparams)
lib_model.set_flags(flags)
flags["resolution_schedule"] = train_util.make_resolution_schedule(**flags)
flags["num_blocks"], _ = train_util.get_stage_info(2 * flags["num_resolutions"] - 2, **flags)
flags["progress"] = tf.constant(float(flags["num_blocks"] - 1))
helper = data_helpers.DataMelHelper.__new__(data_helpers.DataMelHelper)  # without its dataset
helper._config = flags
helper.specgrams_helper = helper.make_specgrams_helper()
session = tf.Session(config=tf.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=1))
results = {}
for batch in batches:
    latents = tf.placeholder(tf.float32, [batch, flags["latent_vector_size"]])
    with tf.variable_scope("Generator", reuse=tf.AUTO_REUSE):
        specgrams, _ = network_functions.g_fn_registry["specgram"]((latents, tf.one_hot([36] * batch, 61)), **flags)
    waves = helper.data_to_waves(specgrams)
    session.run(tf.global_variables_initializer())
    feed = {latents: np.random.default_rng(0).standard_normal((batch, flags["latent_vector_size"]))}
    session.run(waves, feed)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        session.run(waves, feed)
        times.append(time.perf_counter() - start)
    results[batch] = [min(times), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]
print(json.dumps(results))
"""


@torch.inference_mode()
def gansynth_times(model: GANSynthGenerator, batch: int, repeats: int) -> tuple[float, float]:
    """(network seconds, inversion seconds) for ``batch`` notes at MIDI 60."""
    latents = model.sample_latents(batch, torch.Generator().manual_seed(0))
    pitches = [60] * batch
    network = best_time(lambda: model.spectrogram(latents, pitches), repeats)
    spectrogram = model.spectrogram(latents, pitches)                       # (batch, 2, rows, frames)
    inversion = best_time(lambda: model.transform.decode(spectrogram), repeats)
    return network, inversion


def wavenet_seconds(model: WaveNetModel, batch: int, timed_samples: int, target_samples: int) -> float:
    """Seconds WaveNet needs for ``target_samples``, extrapolated from generating ``timed_samples``."""
    seconds = best_time(lambda: model.sample_waveform(timed_samples, batch_size=batch), repeats=1, warm_up=False)
    return seconds * target_samples / timed_samples


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def row(name: str, batch: int, seconds: float, audio_seconds: float, note: str = "") -> str:
    return f"| {name} | {batch} | {seconds:.3g} | {batch * audio_seconds / seconds:.3g} | {note} |"


def published_row(name: str, batch: int, seconds: float, audio_seconds: float, memory_mb: float, note: str) -> str:
    return (f"| {name} | {batch} | {seconds:.3g} | {batch / seconds:.3g} | {batch * audio_seconds / seconds:.3g} "
            f"| {memory_mb:,.0f} | {note} |")


def gansynth_configs(model: str | None) -> dict[str, GANSynthConfig]:
    """Name -> configuration to time: ``model``'s, or the default one in both representations."""
    if model is not None:
        config = GANSynthConfig.from_pretrained(model)
        return {f"GANSynth {Path(model).name} ({config.representation})": config}
    return {f"GANSynth {representation}": GANSynthConfig(representation=representation)
            for representation in ("mag_if", "mel_if")}


def magenta_times(tf_python: str, threads: int, repeats: int) -> dict[int, list[float]] | str:
    """{batch: [seconds, peak MB]} from magenta's own code, or why it could not run."""
    if not Path(tf_python).is_file():
        return f"no TensorFlow venv at {tf_python}"
    command = [tf_python, "-c", MAGENTA_TIMING, str(threads), json.dumps(list(BATCHES)), str(repeats)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        return "magenta failed: " + (result.stderr.strip().splitlines() or ["no output"])[-1]
    return {int(batch): values for batch, values in json.loads(result.stdout.strip().splitlines()[-1]).items()}


def bench_published(args) -> None:
    """hfsynth's published-size generator beside magenta's, 4 s notes."""
    repeats = 1 if args.quick else 3
    config = GANSynthConfig.published()
    audio_seconds = config.audio_length_in_s
    model = GANSynthGenerator(config).eval()
    parameters = sum(parameter.numel() for parameter in model.parameters())
    print(f"\npublished GANSynth: {parameters:,} generator parameters, {audio_seconds:g} s notes at "
          f"{config.sampling_rate} Hz, best of {repeats}")
    print("| implementation | batch | seconds per batch | 4 s notes per second | x real time | peak memory (MB) "
          "| notes |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for batch in BATCHES:
        network, inversion = gansynth_times(model, batch, repeats)
        print(published_row("hfsynth", batch, network + inversion, audio_seconds, peak_memory_mb(),
                            f"network {network:.3f} s + inversion {inversion:.3f} s"), flush=True)
    reference = magenta_times(args.tf_python, args.threads, repeats)
    if isinstance(reference, str):
        print(f"| magenta 2.1.4 (TensorFlow) | | | | | | not timed: {reference} |")
        return
    for batch in BATCHES:
        seconds, memory = reference[batch]
        print(published_row("magenta 2.1.4 (TensorFlow)", batch, seconds, audio_seconds, memory,
                            "generator + data_to_waves"), flush=True)


def bench_default(args) -> None:
    """The default (or ``--model``'s) configuration against a small WaveNet."""
    repeats, wavenet_samples = (1, 100) if args.quick else (5, 2000)
    configs = gansynth_configs(args.model)
    config = next(iter(configs.values()))
    audio_seconds, samples = config.audio_length_in_s, config.num_samples
    print(f"\none note: {audio_seconds} s = {samples} samples at {config.sampling_rate} Hz")
    print("| model | batch | seconds per batch | x real time | notes |")
    print("| --- | --- | --- | --- | --- |")
    for name, gansynth_config in configs.items():
        model = GANSynthGenerator(gansynth_config).eval()
        for batch in BATCHES:
            network, inversion = gansynth_times(model, batch, repeats)
            print(row(name, batch, network + inversion, audio_seconds,
                      f"network {network:.3f} s + inversion {inversion:.3f} s"), flush=True)
    wavenet = WaveNetModel(WaveNetConfig(layers=20, stacks=2, residual_channels=64, gate_channels=128,
                                         skip_channels=64, sampling_rate=config.sampling_rate)).eval()
    for batch in BATCHES:
        seconds = wavenet_seconds(wavenet, batch, wavenet_samples, samples)
        print(row("WaveNet (20 layers, 64 ch)", batch, seconds, audio_seconds,
                  f"timed {wavenet_samples} samples, extrapolated to {samples}"), flush=True)


def main() -> None:
    parser = bench_parser(__doc__, "one repeat (and 100 WaveNet samples): ~30 s")
    parser.add_argument("--model", help="a GANSynth folder whose configuration to time (default: GANSynthConfig())")
    parser.add_argument("--size", choices=("default", "published"), default="default",
                        help="'published': magenta's published generator, timed beside magenta itself")
    parser.add_argument("--tf-python", default=TF_PYTHON, help="the TensorFlow venv's python with magenta 2.1.4")
    args = parse_bench_args(parser)
    if args.size == "published" and args.model is not None:
        parser.error("--size published times magenta's configuration; --model times a folder's")
    print(machine_line())
    torch.manual_seed(0)
    bench_published(args) if args.size == "published" else bench_default(args)


if __name__ == "__main__":
    main()
