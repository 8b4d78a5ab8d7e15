"""MusicGen's delay pattern (Copet et al. 2023), which AudioGen's released models use too.

A codec frame holds K codes, one per residual codebook, and codebook k refines codebooks < k.
Predicting all K codes of a frame in one step would make them independent given the past; the
delay pattern instead shifts stream k right by k steps, so at step s the decoder predicts code
k of frame s - k having already seen codes 0..k-1 of that frame. One frame costs one step
(plus K - 1 steps in all), not K.

For K = 3 codebooks and T = 4 frames (``a0`` is code 0 of frame a; ``P`` the special token)::

    step:        0   1   2   3   4   5
    stream 0:   a0  b0  c0  d0   P   P
    stream 1:    P  a1  b1  c1  d1   P
    stream 2:    P   P  a2  b2  c2  d2

Shapes: codes (batch, K, T) <-> delayed (batch, K, T + K - 1).
"""

from __future__ import annotations

import torch

#: In a pattern, marks a position whose code is still to be generated.
UNKNOWN = -1


def build_delay_pattern(prefix: torch.Tensor, num_frames: int, special_id: int) -> torch.Tensor:
    """The delayed layout of ``num_frames`` frames whose first frames are ``prefix``.

    Args:
        prefix: (batch, K, P) known codes, P <= num_frames; entries equal to :data:`UNKNOWN` are
            unknown too (an audio prompt shorter than the others in its batch).
        num_frames: T, the frames of the full sequence.
        special_id: the padding token of the delay.

    Returns:
        (batch, K, T + K - 1) long tensor: stream k holds the prefix codes at steps
        k .. k + P - 1, :data:`UNKNOWN` at steps k + P .. k + T - 1 (codes to generate) and
        ``special_id`` elsewhere. With P = T (all codes known) this is the training target layout.
    """
    batch, num_codebooks, prefix_frames = prefix.shape
    if prefix_frames > num_frames:
        raise ValueError(f"the prefix has {prefix_frames} frames, more than the {num_frames} of the sequence")
    frames = prefix.new_full((batch, num_codebooks, num_frames), UNKNOWN)
    frames[:, :, :prefix_frames] = prefix
    pattern = prefix.new_full((batch, num_codebooks, num_frames + num_codebooks - 1), special_id)
    for k in range(num_codebooks):
        pattern[:, k, k : k + num_frames] = frames[:, k]
    return pattern


def apply_delay_pattern(tokens: torch.Tensor, pattern: torch.Tensor) -> torch.Tensor:
    """Keeps ``tokens`` where ``pattern`` is :data:`UNKNOWN` and takes the pattern's code elsewhere.

    tokens (batch, K, S) with S <= the pattern's steps -> (batch, K, S). This is how generation
    writes a prompt's codes and the delay padding over whatever the decoder sampled there.
    """
    pattern = pattern[..., : tokens.shape[-1]]
    return torch.where(pattern == UNKNOWN, tokens, pattern)


def undo_delay_pattern(delayed: torch.Tensor) -> torch.Tensor:
    """(batch, K, S) delayed tokens -> (batch, K, S - K + 1) codes, frame-aligned again."""
    num_codebooks, steps = delayed.shape[1], delayed.shape[2]
    num_frames = steps - num_codebooks + 1
    if num_frames < 1:
        raise ValueError(f"{steps} delayed steps hold no whole frame of {num_codebooks} codebooks")
    return torch.stack([delayed[:, k, k : k + num_frames] for k in range(num_codebooks)], dim=1)


def delay_pattern_mask(num_codebooks: int, num_frames: int, device: torch.device | None = None) -> torch.Tensor:
    """(K, T + K - 1) bool: True where the delayed layout holds a real code (the training loss
    is taken there only; the padding is given, never predicted)."""
    steps = torch.arange(num_frames + num_codebooks - 1, device=device)
    offsets = torch.arange(num_codebooks, device=device)[:, None]
    return (steps >= offsets) & (steps < offsets + num_frames)


def first_unknown_step(pattern: torch.Tensor) -> int:
    """The first step at which any stream of any batch item has a code to generate (the steps
    before it are known and can be fed to the decoder in one pass); the step count if none."""
    unknown_steps = (pattern == UNKNOWN).any(dim=1).any(dim=0).nonzero()
    return int(unknown_steps[0]) if len(unknown_steps) else pattern.shape[-1]
