"""Reduced-precision weights for the matrix-vector products of incremental generation on CPU.

At batch 1 a generation step reads every weight once and does little arithmetic with it, so its
speed is the memory bandwidth over the weight bytes. fbgemm's packed weights read fewer: float16
(half the bytes; converted to float32 in registers, relative error ~1e-4) or int8 with one scale per
output row (a quarter; the activations are quantised on each call, relative error ~1%).
:func:`packed_linear` packs one matrix for a hand-written step loop (WaveNet);
:func:`int8_linear_modules` swaps a module's ``nn.Linear`` layers for fbgemm's (AudioGen's decoder).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

#: Weight storages :func:`packed_linear` offers.
PRECISIONS = ("float32", "float16", "int8")

#: fbgemm's 7-bit activations on AVX2: its 8-bit path sums pairs of products in saturating int16,
#: which clips for large inputs (measured here: 1.4% relative error per product instead of 1.1%).
REDUCE_RANGE = True


def packed_linear(weight: torch.Tensor, bias: torch.Tensor | None, precision: str) -> Callable[[torch.Tensor],
                                                                                              torch.Tensor]:
    """``x -> F.linear(x, weight, bias)`` for x (batch, in), with ``weight`` (out, in) stored in
    ``precision`` (one of :data:`PRECISIONS`; float32 keeps the tensors as they are)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}; got {precision!r}")
    if precision == "float32":
        return partial(F.linear, weight=weight, bias=bias)
    if weight.ndim != 2 or weight.device.type != "cpu" or weight.dtype != torch.float32:
        raise ValueError(f"{precision} weights are made from a 2-D float32 CPU weight (fbgemm's kernels); got "
                         f"shape {tuple(weight.shape)}, {weight.dtype} on {weight.device}")
    weight = weight.detach()
    bias = None if bias is None else bias.detach().float()
    if precision == "float16":
        packed = torch.ops.quantized.linear_prepack_fp16(weight, bias)
        return partial(torch.ops.quantized.linear_dynamic_fp16, W_prepack=packed)
    scales = (weight.abs().amax(dim=1) / 127).clamp_min(torch.finfo(torch.float32).tiny).double()
    with warnings.catch_warnings():         # torch 2.13 deprecates making quantized tensors, not their kernels
        warnings.simplefilter("ignore")
        quantized = torch.quantize_per_channel(weight, scales, torch.zeros_like(scales, dtype=torch.long), 0,
                                               torch.qint8)
        packed = torch.ops.quantized.linear_prepack(quantized, bias)
    return partial(torch.ops.quantized.linear_dynamic, W_prepack=packed, reduce_range=REDUCE_RANGE)


def int8_linear_modules(module: nn.Module) -> nn.Module:
    """A copy of ``module`` with every ``nn.Linear`` dynamic int8, one weight scale per output channel."""
    with warnings.catch_warnings():         # torch.ao.quantization is deprecated in favour of torchao
        warnings.simplefilter("ignore")
        spec = {nn.Linear: torch.ao.quantization.per_channel_dynamic_qconfig}
        return torch.ao.quantization.quantize_dynamic(module, spec, inplace=False)
