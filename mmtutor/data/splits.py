"""Train/validation/test splits: the dataset containers and the splitting helpers.

- :class:`Split`: one split (inputs ``x`` by modality, labels ``y``, per-example ``meta``);
- :class:`SplitSet`: train/val/test splits plus what describes them, the interface every
  dataset of the series shares (MM-Digits, AV-MNIST);
- :func:`grouped_split`: split without leakage, by group (notebook 01);
- :func:`make_imbalanced`: a long-tailed copy of a split (notebook 14).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import tensorflow as tf

__all__ = ["Split", "SplitSet", "grouped_split", "make_imbalanced"]


def grouped_split(
    labels: np.ndarray,
    groups: np.ndarray,
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15),
    seed: int | np.random.Generator = 0,
    stratify: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split example indices into train/val/test so that no group crosses two splits.

    Groups (for MM-Digits: the source image of each example) are assigned to splits class
    by class, so every split keeps the class balance. Hand-written because notebook 01
    teaches it; MM-Digits and AV-MNIST (images, recordings) are split with it.

    Args:
        labels: (n,) class of each example. A group's class, for stratification, is the
            label of its *first* example (in array order): right when a group holds one
            class (a source image), arbitrary when it mixes classes (a speaker who says
            every digit); then pass ``stratify=False``.
        groups: (n,) group id of each example.
        fractions: train/validation/test fractions of the groups; positive, sum to 1.
        seed: seed of the shuffling, or a ``np.random.Generator`` to draw from.
        stratify: split the groups of each class separately (default); ``False``
            shuffles all groups together, ignoring ``labels``.

    Returns:
        Three sorted index arrays.

    Example:
        >>> import numpy as np
        >>> tr, va, te = grouped_split(np.array([0, 0, 1, 1] * 5), np.repeat(np.arange(10), 2))
        >>> sorted(np.concatenate([tr, va, te])) == list(range(20))
        True
    """
    labels, groups = np.asarray(labels), np.asarray(groups)
    if labels.ndim != 1 or labels.shape != groups.shape:
        raise ValueError(
            f"labels and groups must be 1-D arrays of one length, got shapes {labels.shape} "
            f"and {groups.shape}"
        )
    fr = np.asarray(fractions, dtype=float)
    if fr.shape != (3,) or np.any(fr <= 0) or not np.isclose(fr.sum(), 1.0):
        raise ValueError(
            f"fractions must be three positive numbers summing to 1, got {fractions!r}"
        )
    rng = np.random.default_rng(seed)
    uniq, first = np.unique(groups, return_index=True)
    group_label = labels[first] if stratify else np.zeros(len(uniq), int)
    assign = np.empty(len(uniq), dtype=np.int8)
    for c in np.unique(group_label):
        members = rng.permutation(np.flatnonzero(group_label == c))
        cuts = np.round(np.cumsum(fr)[:2] * len(members)).astype(int)
        assign[members[: cuts[0]]] = 0
        assign[members[cuts[0] : cuts[1]]] = 1
        assign[members[cuts[1] :]] = 2
    split_of_example = assign[np.searchsorted(uniq, groups)]
    train, val, test = (np.flatnonzero(split_of_example == k) for k in range(3))
    return train, val, test


@dataclass(frozen=True)
class Split:
    """One split of MM-Digits: inputs ``x`` (a dict of named arrays), labels ``y``, metadata.

    ``x["image"]`` is (n, 8, 8, 1) float32 in [0, 1], ``x["audio"]`` (n, 4000) float32 in
    [-1, 1], ``x["text"]`` (n,) an object array of str; ``y`` is (n,) int32. ``meta`` holds
    per-example facts for analysis: ``source_image``, ``speaker``, ``snr_db``,
    ``n_attributes``, ``occluded_fraction``.
    """

    x: dict[str, np.ndarray]
    y: np.ndarray
    meta: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.y)

    def inputs(
        self, modalities: tuple[str, ...] | list[str] | None = None
    ) -> dict[str, np.ndarray]:
        """The input dict restricted to ``modalities`` (all of them by default)."""
        modalities = tuple(self.x) if modalities is None else tuple(modalities)
        unknown = [m for m in modalities if m not in self.x]
        if unknown or not modalities:
            raise ValueError(
                f"modalities must be a non-empty subset of {list(self.x)}, got {list(modalities)}"
            )
        return {m: self.x[m] for m in modalities}

    def as_dataset(
        self,
        batch_size: int = 64,
        shuffle: bool = False,
        seed: int = 0,
        modalities: tuple[str, ...] | list[str] | None = None,
        cache: bool = True,
    ) -> tf.data.Dataset:
        """A batched ``tf.data.Dataset`` of ``(inputs_dict, label)``, cached and prefetched.

        Shuffling (when asked) reshuffles every epoch from a fixed seed, so runs repeat.
        Taught in notebook 01.
        """
        import tensorflow as tf

        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        x = self.inputs(modalities)
        x = {k: v.astype(str) if v.dtype == object else v for k, v in x.items()}
        ds = tf.data.Dataset.from_tensor_slices((x, self.y))
        if cache:
            ds = ds.cache()
        if shuffle:
            ds = ds.shuffle(len(self), seed=seed, reshuffle_each_iteration=True)
        return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


@dataclass(frozen=True)
class SplitSet:
    """Train/validation/test :class:`Split` s plus what describes them: the interface every
    dataset of the series shares (:class:`MMDigits`, :class:`mmtutor.data.AVMNIST`), so
    the training helpers work on any of them."""

    train: Split
    val: Split
    test: Split
    sample_rate: int
    class_names: tuple[str, ...]
    params: dict[str, object]

    def _repr_extra(self) -> str:
        """What a subclass adds at the end of its one-line description."""
        return ""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(train={len(self.train)}, val={len(self.val)}, "
            f"test={len(self.test)}, modalities={list(self.train.x)}, "
            f"sample_rate={self.sample_rate}{self._repr_extra()})"
        )


def make_imbalanced(split: Split, ratio: float = 10.0, seed: int = 0) -> Split:
    """A copy of ``split`` with a long-tailed class distribution, for class-imbalance lessons.

    Keeps every example of class 0 and, of each later class ``c`` (of ``K``), a random
    ``round(n_0 * ratio ** (-c / (K - 1)))`` (all of them if the class has fewer), so the
    counts fall geometrically and the largest class has ``ratio`` times the examples of the
    smallest (up to rounding). Order and metadata follow the kept examples. Taught in
    notebook 14; pair it with :func:`mmtutor.preprocessing.class_weights`.

    Example:
        >>> from mmtutor.data import load_mmdigits
        >>> data = load_mmdigits(seed=0)
        >>> counts = np.bincount(make_imbalanced(data.train, ratio=10).y)
        >>> round(counts.max() / counts.min())
        10
    """
    if (
        isinstance(ratio, bool)
        or not isinstance(ratio, int | float | np.number)
        or not (ratio >= 1)
    ):
        raise ValueError(f"ratio must be a number >= 1, got {ratio!r}")
    y = np.asarray(split.y)
    classes = np.unique(y)
    rng = np.random.default_rng(seed)
    n0 = int(np.sum(y == classes[0]))
    last = max(len(classes) - 1, 1)
    keep = []
    for rank, c in enumerate(classes):
        members = np.flatnonzero(y == c)
        target = min(len(members), max(1, int(round(n0 * float(ratio) ** (-rank / last)))))
        keep.append(rng.choice(members, size=target, replace=False))
    idx = np.sort(np.concatenate(keep))
    return replace(
        split,
        x={m: v[idx] for m, v in split.x.items()},
        y=y[idx],
        meta={k: np.asarray(v)[idx] for k, v in split.meta.items()},
    )
