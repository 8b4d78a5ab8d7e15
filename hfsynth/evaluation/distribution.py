"""Set-level distribution metrics on classifier outputs and embeddings: Inception Score, Fréchet distance.

Any probability or embedding source plugs in (a note classifier, VGGish-like features, ...): the
metrics take plain (N, K) / (N, D) arrays or tensors.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..validation import check_int
from ._inputs import check_matrix, check_probabilities


class InceptionScore(NamedTuple):
    """Mean and standard deviation of the Inception Score over the splits."""

    mean: float
    std: float


def inception_score(probs: object, splits: int = 10) -> InceptionScore:
    """Inception Score ``exp(E_x KL(p(y|x) || p(y)))`` (Salimans et al. 2016), per split of the set.

    ``probs`` (N, K) are class probabilities per generated clip; ``p(y)`` is their mean within a
    split. K for confident predictions spread evenly over K classes, 1 for identical predictions.
    The rows are split in order into ``splits`` consecutive parts.
    """
    probs = check_probabilities(probs)
    splits = check_int(splits, "splits", minimum=1, maximum=len(probs), hint=" (at most the number of rows)")
    scores = []
    for part in np.array_split(probs, splits):
        marginal = part.mean(axis=0, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            kl = np.where(part > 0, part * (np.log(part) - np.log(marginal)), 0.0).sum(axis=1)
        scores.append(np.exp(kl.mean()))
    return InceptionScore(float(np.mean(scores)), float(np.std(scores)))


def embedding_statistics(embeddings: object, name: str = "embeddings") -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and covariance (D, D) of an (N, D) embedding set, N >= 2 (unbiased covariance)."""
    embeddings = check_matrix(embeddings, name, min_rows=2)
    return embeddings.mean(axis=0), np.atleast_2d(np.cov(embeddings, rowvar=False))


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root of a positive semi-definite matrix (negative round-off eigenvalues -> 0)."""
    eigenvalues, eigenvectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T


def frechet_distance_from_statistics(
    mean_a: np.ndarray, cov_a: np.ndarray, mean_b: np.ndarray, cov_b: np.ndarray
) -> float:
    """Fréchet distance between Gaussians: ``||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))``.

    ``Tr((S_a S_b)^(1/2))`` is computed as ``Tr((S_a^(1/2) S_b S_a^(1/2))^(1/2))``, a symmetric PSD
    matrix whose eigenvalues are real and clipped at 0, so the result is real and stable even for
    singular covariances (fewer clips than dimensions). Clipped at 0 against round-off.
    """
    mean_a, mean_b = np.asarray(mean_a, np.float64), np.asarray(mean_b, np.float64)
    cov_a, cov_b = np.atleast_2d(np.asarray(cov_a, np.float64)), np.atleast_2d(np.asarray(cov_b, np.float64))
    if mean_a.shape != mean_b.shape or cov_a.shape != cov_b.shape or cov_a.shape != mean_a.shape * 2:
        raise ValueError(
            f"statistics must share one dimension D: means (D,), covariances (D, D); got means {mean_a.shape} "
            f"and {mean_b.shape}, covariances {cov_a.shape} and {cov_b.shape}"
        )
    root_a = _sqrt_psd(cov_a)
    cross = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    trace_sqrt = np.sqrt(np.clip(cross, 0.0, None)).sum()
    distance = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_sqrt
    return float(max(distance, 0.0))


def frechet_distance(embeddings_a: object, embeddings_b: object) -> float:
    """Fréchet distance between two embedding sets (FID, Heusel et al. 2017; FAD, Kilgour et al. 2019).

    Fits a Gaussian to each (N, D) set (N >= 2 each) and compares them with
    :func:`frechet_distance_from_statistics`. ~0 for identical sets; grows with a mean shift
    (by exactly the squared shift when the covariances match).
    """
    mean_a, cov_a = embedding_statistics(embeddings_a, "embeddings_a")
    mean_b, cov_b = embedding_statistics(embeddings_b, "embeddings_b")
    if mean_a.shape != mean_b.shape:
        raise ValueError(f"embedding sets must have the same dimension; got {mean_a.shape[0]} and {mean_b.shape[0]}")
    return frechet_distance_from_statistics(mean_a, cov_a, mean_b, cov_b)
