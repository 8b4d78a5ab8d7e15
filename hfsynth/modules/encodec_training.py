"""The training path transformers' ``EncodecModel`` lacks: an EMA-trained residual vector quantizer.

transformers ships EnCodec for inference. Its ``EncodecEuclideanCodebook`` keeps the codebook in
buffers (``embed``, ``embed_avg``, ``cluster_size``) that nothing updates, the quantizer returns
indices without a commitment loss or a gradient path, and a freshly built model's codebooks are
all zeros (every vector gets code 0). EnCodec (Défossez et al. 2022) trains its RVQ as SoundStream
and VQ-VAE-2 do:

* each codebook entry is an exponential moving average (decay 0.99) of the encoder vectors
  assigned to it, with Laplace smoothing of the counts;
* entries used less than ``dead_code_threshold`` times per step (EMA count) restart from a random
  vector of the batch at a count of exactly the threshold, so an entry the data does not take up
  is restarted again at the next step (audiocraft's expiry), instead of being sheltered for
  hundreds of steps by a fresh count of 1; an untouched codebook starts from batch vectors;
* a commitment loss ``||z - sg(q)||^2`` per quantizer pulls the encoder towards its codes;
* straight-through gradients: the decoder's gradient reaches the encoder as if quantization
  were the identity.

:class:`TrainableEncodec` adds exactly this around an unmodified ``EncodecModel``, writing into
the model's own buffers, so the trained codec saves and loads as a plain ``EncodecModel`` and
its stock ``encode``/``decode`` use the learnt codebooks. Nothing is copied from transformers:
nearest-neighbour search is the codebook's own ``quantize``. :func:`reset_encodec_weights` gives a
new codec the starting weights that transformers' initialisation misses in weight-normed layers.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from transformers import EncodecModel


@dataclass
class CodecTrainingOutput:
    """
    audio: (batch, samples) the reconstruction, same length as the input.
    codes: (batch, K, frames) the codes it was decoded from.
    commitment_loss: sum over quantizers of the mean squared distance from encoder vector to code.
    codebook_usage: (K,) fraction of each codebook's entries used in this batch.
    """

    audio: torch.Tensor
    codes: torch.Tensor
    commitment_loss: torch.Tensor
    codebook_usage: torch.Tensor


class TrainableEncodec(nn.Module):
    """An ``EncodecModel`` (``self.codec``) with a differentiable, EMA-updated quantizer.

    Args:
        codec: the model to train; its codebook buffers are updated in place.
        decay: EMA decay of the codebook statistics (EnCodec's 0.99).
        dead_code_threshold: EMA count (uses per step) under which an entry is restarted; about a
            third of the average use (batch vectors / entries) keeps the whole codebook in use.
        epsilon: Laplace smoothing of the counts, so no entry divides by zero.
    """

    def __init__(self, codec: EncodecModel, decay: float = 0.99, dead_code_threshold: float = 0.25,
                 epsilon: float = 1e-5):
        super().__init__()
        if not 0.0 < decay < 1.0:
            raise ValueError(f"decay must be in (0, 1); got {decay}")
        self.codec, self.decay, self.dead_code_threshold, self.epsilon = codec, decay, dead_code_threshold, epsilon

    def forward(self, audio: torch.Tensor, update_codebooks: bool = True) -> CodecTrainingOutput:
        """(batch, samples) audio -> reconstruction and losses. Codebooks are updated only in
        training mode and with ``update_codebooks`` (a GAN's critic step passes False, so each
        batch moves the codebooks once)."""
        if audio.ndim != 2:
            raise ValueError(f"audio must be (batch, samples); got shape {tuple(audio.shape)}")
        latents = self.codec.encoder(audio[:, None])                              # (batch, D, frames)
        quantized, codes, commitment, usage = self.quantize(latents, self.training and update_codebooks)
        reconstruction = self.codec.decoder(quantized)[:, 0, : audio.shape[-1]]   # (batch, samples)
        return CodecTrainingOutput(reconstruction, codes, commitment, usage)

    def quantize(self, latents: torch.Tensor, update: bool):
        """Residual quantization of (batch, D, frames) latents with straight-through gradients.

        Returns (quantized (batch, D, frames), codes (batch, K, frames), commitment loss, usage (K,)).
        """
        batch, width, frames = latents.shape
        residual, quantized = latents, torch.zeros_like(latents)
        codes, commitment, usage = [], latents.new_zeros(()), []
        for layer in self.codec.quantizer.layers:
            codebook = layer.codebook
            vectors = residual.detach().transpose(1, 2).reshape(-1, width)        # (batch * frames, D)
            if update and not codebook.cluster_size.any():
                self._start_from(codebook, vectors)
            indices = codebook.quantize(vectors)                                  # (batch * frames,)
            chosen = codebook.embed[indices].reshape(batch, frames, width).transpose(1, 2)
            if update:
                self._update(codebook, vectors, indices)
            commitment = commitment + F.mse_loss(residual, chosen)
            quantized = quantized + residual + (chosen - residual).detach()       # straight-through
            residual = residual - chosen
            codes.append(indices.reshape(batch, frames))
            usage.append(indices.unique().numel() / codebook.codebook_size)
        return quantized, torch.stack(codes, dim=1), commitment, torch.tensor(usage)

    @torch.no_grad()
    def _start_from(self, codebook: nn.Module, vectors: torch.Tensor) -> None:
        """An untouched (all-zero) codebook takes random batch vectors, each counted as used once."""
        codebook.embed.copy_(_sample(vectors, codebook.codebook_size))
        codebook.embed_avg.copy_(codebook.embed)
        codebook.cluster_size.fill_(1.0)

    @torch.no_grad()
    def _update(self, codebook: nn.Module, vectors: torch.Tensor, indices: torch.Tensor) -> None:
        """One EMA step of the counts and sums of the vectors each entry was assigned, then restarts."""
        counts = torch.bincount(indices, minlength=codebook.codebook_size).to(vectors.dtype)     # (C,)
        sums = vectors.new_zeros(codebook.embed.shape).index_add_(0, indices, vectors)           # (C, D)
        if dist.is_available() and dist.is_initialized():  # every process's batch counts
            dist.all_reduce(counts)
            dist.all_reduce(sums)
        codebook.cluster_size.lerp_(counts, 1 - self.decay)
        codebook.embed_avg.lerp_(sums, 1 - self.decay)
        dead = codebook.cluster_size < self.dead_code_threshold
        if dead.any():  # restarted at the threshold: an entry the data does not use is restarted again next step
            codebook.cluster_size[dead] = self.dead_code_threshold
            codebook.embed_avg[dead] = _sample(vectors, int(dead.sum())) * self.dead_code_threshold
        total = codebook.cluster_size.sum()
        smoothed = (codebook.cluster_size + self.epsilon) / (total + codebook.codebook_size * self.epsilon) * total
        codebook.embed.copy_(codebook.embed_avg / smoothed[:, None])


@torch.no_grad()
def reset_encodec_weights(codec: EncodecModel) -> EncodecModel:
    """Starting weights under which EnCodec's latents follow its input; returns ``codec``.

    transformers' ``EncodecModel`` initialises its convolutions through ``module.weight``, which for a
    weight-normed convolution is recomputed from its parametrization, so the call changes nothing
    and PyTorch's default initialisation stays. That one shrinks the signal by about 40% per layer
    while the biases keep their size: after the 15 layers of the small encoder, the latents varied
    by about 2% of their norm whatever the audio, 0.5% after 500 training steps, when every vector
    fell on one code of each codebook. Here every weight-normed (transposed) convolution gets unit-gain weights (normal,
    std ``1/sqrt(fan_in)``) with the norm ``g`` matching them, and zero biases: the signal keeps its
    size through the layers and the latents follow the audio (the LSTM keeps its own initialisation).
    """
    for module in codec.modules():
        parametrizations = getattr(module, "parametrizations", None)
        if not isinstance(module, (nn.Conv1d, nn.ConvTranspose1d)) or parametrizations is None:
            continue
        direction, norm = parametrizations.weight.original1, parametrizations.weight.original0
        nn.init.kaiming_normal_(direction, nonlinearity="linear")
        norm.copy_(torch.linalg.vector_norm(direction, dim=tuple(range(1, direction.ndim)), keepdim=True))
        if module.bias is not None:
            module.bias.zero_()
    return codec


def _sample(vectors: torch.Tensor, count: int) -> torch.Tensor:
    """``count`` rows of ``vectors`` drawn at random (with replacement when there are fewer)."""
    if len(vectors) >= count:
        return vectors[torch.randperm(len(vectors), device=vectors.device)[:count]]
    return vectors[torch.randint(len(vectors), (count,), device=vectors.device)]
