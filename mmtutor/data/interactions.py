"""Controlled-interaction data: how the label depends on the modalities is known by design.

Liang et al. (2023, "Quantifying & modeling multimodal interactions") split what
modalities tell about a label into *redundancy* (each modality alone says it),
*uniqueness* (only one modality says it) and *synergy* (only the combination says it).
Real data mixes the three; here each dataset has exactly one, so a fusion method's
behaviour can be read off the numbers (notebook 09).

Every example has one hidden binary attribute ``b_i`` per modality. Modality ``i`` shows
its attribute as a point near one of two centres, ``x_i = (2 b_i - 1) u_i + noise * e``,
with ``u_i`` a fixed random unit vector in ``R^dim`` and ``e ~ N(0, I)``: one modality's
attribute is recovered with error ``Phi(-1 / noise)`` (0.6 % at the default 0.4).

============  ===================================  ==================================
kind          label                                expected outcome
============  ===================================  ==================================
redundancy    one attribute ``a`` shown by every   every modality alone and every
              modality (``b_i = a``)                fusion succeed; fusion averages
                                                   the noise away (a little better)
uniqueness    ``b_0``; the other modalities show   modality 0 alone succeeds, the
              independent, irrelevant attributes   others sit at chance; a fusion
                                                   must learn to ignore them
synergy       ``b_0 XOR b_1 (XOR b_2 ...)``        every modality alone and late
                                                   fusion (a sum of per-modality
                                                   terms) stay at chance (0.5);
                                                   early, tensor, attention fusion,
                                                   which mix features, succeed
============  ===================================  ==================================
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mmtutor.data.mmdigits import Split

__all__ = ["INTERACTION_KINDS", "InteractionData", "make_interactions"]

INTERACTION_KINDS = ("redundancy", "uniqueness", "synergy")


@dataclass(frozen=True)
class InteractionData:
    """Train/validation/test splits of one controlled-interaction dataset.

    ``x`` of every split holds ``"m0"``, ``"m1"``, ... each (n, dim) float32; ``y`` (n,)
    int32 in {0, 1}; ``meta["attributes"]`` (n, num_modalities) the hidden ``b_i``.
    """

    train: Split
    val: Split
    test: Split
    kind: str
    params: dict[str, object]

    @property
    def modalities(self) -> list[str]:
        return list(self.train.x)

    def __repr__(self) -> str:
        return (
            f"InteractionData(kind={self.kind!r}, train={len(self.train)}, val={len(self.val)}, "
            f"test={len(self.test)}, modalities={self.modalities})"
        )


def _check_int(name: str, value, low: int, high: int) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or not low <= value <= high
    ):
        raise ValueError(f"{name} must be an integer in [{low}, {high}], got {value!r}")


def make_interactions(
    kind: str = "synergy",
    num_modalities: int = 2,
    n: int = 3000,
    dim: int = 8,
    noise: float = 0.4,
    seed: int = 0,
    fractions: tuple[float, float, float] = (0.6, 0.2, 0.2),
) -> InteractionData:
    """A dataset whose label depends on the modalities by ``kind`` (see the module doc).

    Args:
        kind: ``"redundancy"``, ``"uniqueness"`` or ``"synergy"``.
        num_modalities: 2 or 3 (named ``m0``, ``m1``, ``m2``).
        n: examples in all (200 to 100,000), split by ``fractions``.
        dim: features per modality (1 to 256).
        noise: standard deviation of the Gaussian noise, in [0, 2]; at 1.0 one modality's
            attribute is read with 16 % error.
        seed: everything (directions, attributes, noise, split) follows from it.

    Example:
        >>> d = make_interactions("synergy", n=1000)
        >>> d.train.x["m0"].shape, sorted(set(d.train.y.tolist()))
        ((600, 8), [0, 1])
    """
    if kind not in INTERACTION_KINDS:
        raise ValueError(f"kind must be one of {list(INTERACTION_KINDS)}, got {kind!r}")
    _check_int("num_modalities", num_modalities, 2, 3)
    _check_int("n", n, 200, 100_000)
    _check_int("dim", dim, 1, 256)
    _check_int("seed", seed, 0, 2**32 - 1)
    if isinstance(noise, bool) or not isinstance(noise, int | float) or not 0 <= noise <= 2:
        raise ValueError(f"noise must be a number in [0, 2], got {noise!r}")
    fractions = tuple(float(f) for f in fractions)
    if len(fractions) != 3 or min(fractions) <= 0 or abs(sum(fractions) - 1) > 1e-6:
        raise ValueError(f"fractions must be 3 positive numbers summing to 1, got {fractions}")

    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(num_modalities, dim))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    attributes = rng.integers(0, 2, size=(n, num_modalities))
    if kind == "redundancy":
        attributes[:] = attributes[:, :1]
        y = attributes[:, 0]
    elif kind == "uniqueness":
        y = attributes[:, 0]
    else:
        y = np.bitwise_xor.reduce(attributes, axis=1)
    signs = 2.0 * attributes - 1.0  # (n, M)
    x = signs[:, :, None] * directions[None] + noise * rng.normal(size=(n, num_modalities, dim))
    x = x.astype(np.float32)

    order = rng.permutation(n)
    n_train, n_val = int(round(fractions[0] * n)), int(round(fractions[1] * n))
    parts = np.split(order, [n_train, n_train + n_val])

    def split(idx):
        return Split(
            x={f"m{i}": x[idx, i] for i in range(num_modalities)},
            y=y[idx].astype(np.int32),
            meta={"attributes": attributes[idx].astype(np.int32)},
        )

    params = {"num_modalities": num_modalities, "n": n, "dim": dim, "noise": noise, "seed": seed}
    return InteractionData(*(split(p) for p in parts), kind=kind, params=params)
