"""GANSynth generation speed (network + spectral inversion) against a same-length WaveNet generation.

    python bench/gansynth_speed.py [--threads 2] [--quick] [--model pipelines/gansynth-small]

GANSynth paints a whole note in one forward pass, then inverts the spectrogram; WaveNet generates
one sample at a time. Both are untrained (speed does not depend on the weights), at the default
``GANSynthConfig`` (1.024 s notes at 16 kHz; "mag_if" and "mel_if") and a small WaveNet like
``configs/wavenet_vocoder_tiny.yaml`` without its mel (20 layers in 2 stacks, 64/128/64 channels).
WaveNet is slow, so it generates a few hundred samples and its time is extrapolated to the note's
length (its incremental cost per sample is constant, see ``bench/wavenet_speed.py``). ``--model``
times a model folder's configuration instead of the default one (random weights all the same).

Prints a Markdown table: seconds per batch, and the real-time factor (seconds of audio made per
second of compute; above 1 is faster than real time).
"""

from __future__ import annotations

from pathlib import Path

import torch
from _common import bench_parser, best_time, machine_line, parse_bench_args

from hfsynth.models.gansynth import GANSynthConfig, GANSynthGenerator
from hfsynth.models.wavenet import WaveNetConfig, WaveNetModel

BATCHES = (1, 8)


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


def row(name: str, batch: int, seconds: float, audio_seconds: float, note: str = "") -> str:
    return f"| {name} | {batch} | {seconds:.3g} | {batch * audio_seconds / seconds:.3g} | {note} |"


def gansynth_configs(model: str | None) -> dict[str, GANSynthConfig]:
    """Name -> configuration to time: ``model``'s, or the default one in both representations."""
    if model is not None:
        config = GANSynthConfig.from_pretrained(model)
        return {f"GANSynth {Path(model).name} ({config.representation})": config}
    return {f"GANSynth {representation}": GANSynthConfig(representation=representation)
            for representation in ("mag_if", "mel_if")}


def main() -> None:
    parser = bench_parser(__doc__, "one repeat, 100 WaveNet samples: ~30 s")
    parser.add_argument("--model", help="a GANSynth folder whose configuration to time (default: GANSynthConfig())")
    args = parse_bench_args(parser)
    repeats, wavenet_samples = (1, 100) if args.quick else (5, 2000)
    print(machine_line())
    torch.manual_seed(0)
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


if __name__ == "__main__":
    main()
