"""What does an int8 decoder cost a trained AudioGen? Its predictions against the float32 decoder's.

    python bench/audiogen_int8_fidelity.py --model pipelines/audiogen-tiny [--notes 44] [--threads 1]

``bench/audiogen_speed.py --int8`` shows that dynamic int8 linear layers (``quantize_dynamic``)
make the decode step faster; this measures what they change. Both decoders score the same rendered
notes with their own captions (teacher forcing, the training loss): the loss of each (nats per code),
how often both pick the same most likely code, and the KL divergence from the float32 decoder's
next-code distribution to the int8 one's (nats per code). Prints a Markdown table.
"""

from __future__ import annotations

import torch
from _common import bench_parser, machine_line, parse_bench_args
from _notes import fixed_length_notes
from audiogen_speed import quantized_decoder

from hfsynth.models.audiogen import AudioGenForConditionalGeneration, AudioGenProcessor


@torch.inference_mode()
def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--model", default="pipelines/audiogen-tiny")
    parser.add_argument("--notes", type=int, default=44)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parse_bench_args(parser)
    model = AudioGenForConditionalGeneration.from_pretrained(args.model).eval()
    processor = AudioGenProcessor.from_pretrained(args.model)
    audio, notes = fixed_length_notes(args.notes, model.config.sampling_rate, args.seconds, ["caption"])
    captions = list(notes["caption"])
    text = processor(text=captions, return_tensors="pt")
    codes = model.encode_audio(audio)
    outputs = {name: candidate(**text, audio_codes=codes)
               for name, candidate in (("float32", model), ("int8", quantized_decoder(model)))}
    reference, quantized = (outputs[name].logits.log_softmax(-1) for name in ("float32", "int8"))
    agreement = (reference.argmax(-1) == quantized.argmax(-1)).float().mean()
    divergence = (reference.exp() * (reference - quantized)).sum(-1).mean()
    print(machine_line())
    print(f"{args.model}: {len(captions)} rendered notes of {args.seconds:g} s with their captions\n")
    print("| decoder | loss (nats per code) | same most likely code | KL from float32 (nats per code) |")
    print("| --- | --- | --- | --- |")
    print(f"| float32 | {outputs['float32'].loss:.4f} | | |")
    print(f"| int8 | {outputs['int8'].loss:.4f} | {agreement:.3f} | {divergence:.5f} |")


if __name__ == "__main__":
    main()
