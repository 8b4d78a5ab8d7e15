"""Which weight formats make AudioGen's decode-step matrix products faster on this CPU?

    python bench/linear_int8_speed.py [--threads 1]

A decode step (classifier-free guidance: 2 rows) multiplies 2 activation rows by every weight
matrix of the decoder, so it is bound by reading the weights. For each of the tiny decoder's
matrix shapes this times, side by side in one run: fp32 ``F.linear`` (what generation uses), bf16
and fp16 ``F.linear``, fbgemm int8 dynamic quantisation (``torch.ao.quantization.quantize_dynamic``,
deprecated in favour of torchao) and ``torch._weight_int8pack_mm`` (int8 weights, fp32 activations).
Prints microseconds per product; the bench/RESULTS.md entry on AudioGen's speed reads them.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import torch
import torch.nn.functional as F
from _common import bench_parser, machine_line, parse_bench_args

#: (in, out) of the tiny decoder's products: QKV, FFN in, FFN out, the 4 output heads.
SHAPES = ((256, 768), (256, 1024), (1024, 256), (256, 2048))
ROWS = 2


def microseconds(call: Callable[[], object], repeats: int) -> float:
    for _ in range(repeats // 20):
        call()
    start = time.perf_counter()
    for _ in range(repeats):
        call()
    return (time.perf_counter() - start) / repeats * 1e6


def formats(inputs: int, outputs: int) -> dict[str, Callable[[], object]]:
    x, weight = torch.randn(ROWS, inputs), 0.02 * torch.randn(outputs, inputs)
    scales = weight.abs().amax(dim=1) / 127
    packed = torch.round(weight / scales[:, None]).to(torch.int8)
    linear = torch.nn.Linear(inputs, outputs, bias=False)
    linear.weight.data.copy_(weight)
    with warnings.catch_warnings():  # the deprecation notice of torch.ao.quantization
        warnings.simplefilter("ignore")
        dynamic = torch.ao.quantization.quantize_dynamic(torch.nn.Sequential(linear), {torch.nn.Linear}, torch.qint8)
    return {
        "fp32": lambda: F.linear(x, weight),
        "bf16": lambda: F.linear(x.bfloat16(), weight.bfloat16()),
        "fp16": lambda: F.linear(x.half(), weight.half()),
        "int8 dynamic (fbgemm)": lambda: dynamic(x),
        "int8 weight-only (_weight_int8pack_mm)": lambda: torch._weight_int8pack_mm(x, packed, scales),
    }


@torch.inference_mode()
def main() -> None:
    parser = bench_parser(__doc__, "fewer repeats (a smoke run)")
    args = parse_bench_args(parser)
    repeats = 50 if args.quick else 1000
    print(machine_line())
    print(f"{ROWS} rows x weight, microseconds per product ({repeats} repeats)\n")
    names = list(formats(*SHAPES[0]))
    print("| (in, out) | " + " | ".join(names) + " |")
    print("| --- |" + " --- |" * len(names))
    for shape in SHAPES:
        timings = [microseconds(call, repeats) for call in formats(*shape).values()]
        print(f"| {shape} | " + " | ".join(f"{t:.0f}" for t in timings) + " |", flush=True)


if __name__ == "__main__":
    main()

