"""Checks and pieces shared by the encoder builders."""

from __future__ import annotations


def check_kind_and_dim(
    kind: str, kinds: tuple[str, ...], embedding_dim: int, modality: str
) -> None:
    """Raise a ValueError naming the allowed kinds, or the bad embedding size."""
    if kind not in kinds:
        raise ValueError(f"{modality} encoder kind must be one of {list(kinds)}, got {kind!r}")
    if isinstance(embedding_dim, bool) or not isinstance(embedding_dim, int) or embedding_dim < 1:
        raise ValueError(f"embedding_dim must be a positive integer, got {embedding_dim!r}")
