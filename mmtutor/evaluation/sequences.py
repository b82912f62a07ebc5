"""Metrics of generated and recognised sequences, and of alignments in time (notebook 11).

- :func:`token_accuracy` and :func:`exact_match`: a generated token sequence against its
  reference, position by position, or as a whole;
- :func:`edit_distance` (Levenshtein) and :func:`digit_error_rate`: recognition errors when
  the output may be shorter or longer than the reference (the word error rate of speech
  recognition, counted in digits);
- :func:`alignment_error_ms`: how far predicted time points (e.g. where a CTC model emitted
  each digit) fall outside the true spans; :func:`boundary_error_ms`: how far predicted
  boundaries (e.g. mapped by dynamic time warping) are from the true ones.

The edit distance is hand-written because notebook 11 teaches it next to dynamic time
warping: the same dynamic programme on a grid.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "alignment_error_ms",
    "boundary_error_ms",
    "digit_error_rate",
    "edit_distance",
    "exact_match",
    "token_accuracy",
]


def _check_pairs(references, hypotheses) -> tuple[list[list], list[list]]:
    """Two equally long, non-empty lists of sequences, as lists."""
    ok = all(isinstance(s, Sequence | np.ndarray) and not isinstance(s, str)
             for s in (references, hypotheses))  # fmt: skip
    if not ok or len(references) != len(hypotheses) or len(references) == 0:
        raise ValueError(
            "references and hypotheses must be two non-empty lists of sequences of one length, "
            f"got {type(references).__name__} of {_length(references)} and "
            f"{type(hypotheses).__name__} of {_length(hypotheses)}"
        )
    out = []
    for name, seqs in (("references", references), ("hypotheses", hypotheses)):
        rows = []
        for s in seqs:
            if isinstance(s, str) or not isinstance(s, Sequence | np.ndarray):
                raise ValueError(
                    f"each of the {name} must be a sequence of tokens (a list, not a string), "
                    f"got {s!r:.40}"
                )
            rows.append(np.asarray(s).tolist() if isinstance(s, np.ndarray) else list(s))
        out.append(rows)
    return out[0], out[1]


def _length(x) -> str:
    return str(len(x)) if hasattr(x, "__len__") else "?"


def token_accuracy(references, hypotheses) -> float:
    """The fraction of reference tokens that the hypothesis has at the same position.

    Position ``p`` of reference ``r`` counts as right when the hypothesis ``h`` has a token
    there and ``h[p] == r[p]``; summed over every reference position of every pair and
    divided by the total reference length. Extra tokens after the reference's end are not
    counted (see :func:`exact_match`).

    Example:
        >>> token_accuracy([["an", "odd", "number"], ["an", "even"]],
        ...                [["an", "even", "number"], ["an"]])
        0.6
    """
    refs, hyps = _check_pairs(references, hypotheses)
    total = sum(len(r) for r in refs)
    if total == 0:
        raise ValueError("the references hold no token")
    right = sum(
        sum(a == b for a, b in zip(r, h, strict=False)) for r, h in zip(refs, hyps, strict=True)
    )
    return right / total


def exact_match(references, hypotheses) -> float:
    """The fraction of hypotheses identical to their reference (same tokens, same length).

    Example:
        >>> exact_match([[4, 0, 7], [1, 2]], [[4, 0, 7], [1, 2, 2]])
        0.5
    """
    refs, hyps = _check_pairs(references, hypotheses)
    return sum(r == h for r, h in zip(refs, hyps, strict=True)) / len(refs)


def edit_distance(reference: Sequence, hypothesis: Sequence) -> int:
    """The Levenshtein distance: the fewest substitutions, deletions and insertions that turn
    ``hypothesis`` into ``reference``.

    Dynamic programming: ``d[i, j]`` is the distance between the first ``i`` reference
    tokens and the first ``j`` hypothesis tokens; ``d[i, 0] = i``, ``d[0, j] = j`` and
    ``d[i, j] = min(d[i-1, j] + 1, d[i, j-1] + 1, d[i-1, j-1] + (r[i] != h[j]))``.

    Example:
        >>> edit_distance([4, 0, 7, 1], [4, 7, 1, 1])  # one deletion, one insertion
        2
        >>> edit_distance("kitten", "sitting")
        3
    """
    for name, s in (("reference", reference), ("hypothesis", hypothesis)):
        if not isinstance(s, Sequence | np.ndarray):
            raise ValueError(f"{name} must be a sequence of tokens, got {type(s).__name__}")
    r, h = list(reference), list(hypothesis)
    previous = list(range(len(h) + 1))  # row i - 1 of d
    for i in range(1, len(r) + 1):
        current = [i] + [0] * len(h)
        for j in range(1, len(h) + 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1,
                             previous[j - 1] + (r[i - 1] != h[j - 1]))  # fmt: skip
        previous = current
    return previous[-1]


def digit_error_rate(references, hypotheses) -> float:
    """Edit distance summed over all pairs, divided by the total reference length: the
    word error rate of speech recognition, for digit strings. It can exceed 1 (a
    hypothesis full of insertions).

    Example:
        >>> digit_error_rate([[4, 0, 7, 1], [2, 2]], [[4, 7, 1, 1], [2, 2]])  # 2 errors / 6
        0.3333333333333333
    """
    refs, hyps = _check_pairs(references, hypotheses)
    total = sum(len(r) for r in refs)
    if total == 0:
        raise ValueError("the references hold no digit")
    return sum(edit_distance(r, h) for r, h in zip(refs, hyps, strict=True)) / total


def _check_times(**arrays) -> list[np.ndarray]:
    values = [np.asarray(a, dtype=np.float64) for a in arrays.values()]
    shapes = [v.shape for v in values]
    if any(s != shapes[0] for s in shapes) or values[0].size == 0:
        described = ", ".join(f"{k} {s}" for k, s in zip(arrays, shapes, strict=True))
        raise ValueError(
            f"{', '.join(arrays)} must be non-empty arrays of one shape, got {described}"
        )
    both = np.all([np.isfinite(v) for v in values], axis=0)
    if not both.any():
        raise ValueError("no position has a finite value in every array (NaN marks a gap)")
    return [v[both] for v in values]


def alignment_error_ms(times, starts, ends) -> float:
    """The mean distance, in milliseconds, from each predicted time point to the true span
    ``[start, end]`` of its unit (0 when it falls inside): does the model emit each digit
    while that digit is being spoken? Times in seconds; NaN marks a position to skip.

    Example:
        >>> round(alignment_error_ms([0.25, 0.7], starts=[0.1, 0.5], ends=[0.4, 0.6]), 3)  # 0, 100 ms
        50.0
    """
    t, s, e = _check_times(times=times, starts=starts, ends=ends)
    if np.any(e < s):
        raise ValueError("every end must be at or after its start")
    return float(np.mean(np.maximum(np.maximum(s - t, t - e), 0.0)) * 1000.0)


def boundary_error_ms(predicted, true) -> float:
    """The mean absolute difference, in milliseconds, between predicted and true boundary
    times (in seconds; NaN marks a position to skip).

    Example:
        >>> round(boundary_error_ms([0.12, 0.50, np.nan], [0.10, 0.56, 0.90]), 1)
        40.0
    """
    p, t = _check_times(predicted=predicted, true=true)
    return float(np.mean(np.abs(p - t)) * 1000.0)
