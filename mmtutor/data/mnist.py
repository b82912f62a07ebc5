"""MNIST handwritten digits from the IDX files, verified (notebook 15).

Layout (under a data folder, see :mod:`mmtutor.data.download` for where it is searched)::

    mnist/t10k-images-idx3-ubyte.gz    mnist/t10k-labels-idx1-ubyte.gz     (test, 10,000)
    mnist/train-images-idx3-ubyte.gz   mnist/train-labels-idx1-ubyte.gz    (train, 60,000)

**What is hashed.** :data:`MNIST_SHA256` records the SHA-256 of each file's
*decompressed* IDX content, not of the ``.gz`` bytes: mirrors re-compress the files (the
copies these hashes come from carry a 2021 gzip time stamp, not the 1998 originals), so
a hash of the compressed bytes would reject correct files. The test-split hashes were
computed from the copies in the project's offline data folder. The training split's are
not recorded here (no verified copy was available when the package was written): a
*download* of a file with no recorded hash is refused unless you pass its hash
(``sha256={"train-images-idx3-ubyte.gz": "..."}``); a copy already in a local folder is
read unverified.

Source: Y. LeCun, C. Cortes, C. J. C. Burges, "The MNIST database"; files fetched from
the Keras mirror :data:`MNIST_URL`. License: CC BY-SA 3.0.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mmtutor.data.download import (
    DatasetNotFoundError,
    HashMismatchError,
    candidate_roots,
    download_file,
    offline_error,
    sha256_bytes,
)

__all__ = ["MNIST_FILES", "MNIST_SHA256", "MNIST_URL", "load_mnist"]

#: where downloads come from (the Keras datasets mirror)
MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

#: split -> (images file, labels file)
MNIST_FILES: dict[str, tuple[str, str]] = {
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
}

#: SHA-256 of the *decompressed* content of each file (None: not recorded, see above)
MNIST_SHA256: dict[str, str | None] = {
    "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    "train-images-idx3-ubyte.gz": None,
    "train-labels-idx1-ubyte.gz": None,
}

_LAYOUT = (
    "  mnist/t10k-images-idx3-ubyte.gz\n  mnist/t10k-labels-idx1-ubyte.gz\n  (train: mnist/train-*)"
)


def _parse_idx(content: bytes, path: Path) -> np.ndarray:
    """Decode an IDX file (big-endian header: magic, dims; unsigned bytes)."""
    magic = int.from_bytes(content[:4], "big") if len(content) >= 4 else -1
    if magic not in (2049, 2051):  # labels (1-D), images (3-D), type 0x08 = uint8
        raise ValueError(f"{path} is not an IDX file of unsigned bytes (magic {magic})")
    ndim = magic & 0xFF
    dims = [int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(content, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: header says {dims}, but the file holds {data.size} values")
    return data.reshape(dims)


def _read_verified(path: Path, expected: str | None, verify: bool) -> bytes:
    try:
        content = gzip.decompress(path.read_bytes())
    except (OSError, EOFError) as exc:  # BadGzipFile is an OSError: not a network error
        raise ValueError(f"{path} is not a complete gzip file ({exc})") from None
    if verify and expected is not None:
        actual = sha256_bytes(content)
        if actual != expected:
            raise HashMismatchError(path, expected, actual)
    return content


def load_mnist(
    split: str = "test",
    root: str | Path | None = None,
    download: bool = True,
    verify: bool = True,
    sha256: dict[str, str] | None = None,
    opener: Callable | None = None,
    url: str = MNIST_URL,
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST images (n, 28, 28) uint8 0-255 and labels (n,) int32, read from the IDX files.

    Args:
        split: ``"test"`` (10,000 images) or ``"train"`` (60,000).
        root: a folder holding ``mnist/...``; searched alone. Default: ``$MMTUTOR_DATA``,
            then the user cache, then a download into the cache.
        download: allow the download when no folder has the files.
        verify: check each file's content against :data:`MNIST_SHA256`.
        sha256: hashes (of the decompressed content) for files with none recorded.
        opener: injected ``urlopen`` (tests).
        url: base URL of the files.

    Raises:
        DatasetNotFoundError: no folder has the files and they cannot be downloaded;
            the message names the URL, the layout and ``MMTUTOR_DATA``.
        HashMismatchError: a file's content differs from the recorded hash.

    Example:
        >>> images, labels = load_mnist("test")  # doctest: +SKIP
        >>> images.shape, labels[:5]  # doctest: +SKIP
        ((10000, 28, 28), array([7, 2, 1, 0, 4], dtype=int32))
    """
    if split not in MNIST_FILES:
        raise ValueError(f"split must be one of {list(MNIST_FILES)}, got {split!r}")
    hashes = {**MNIST_SHA256, **(sha256 or {})}
    names = MNIST_FILES[split]
    roots = candidate_roots(root)
    folder = next((p / "mnist" for _, p in roots if (p / "mnist" / names[0]).is_file()), None)
    if folder is None:
        folder = roots[0][1] / "mnist" if root is not None else roots[-1][1] / "mnist"
        unknown = [n for n in names if hashes.get(n) is None]
        if not download or unknown:
            reason = (
                "download=False"
                if not download
                else f"no SHA-256 recorded for {unknown}; pass sha256={{name: hash}}"
            )
            raise offline_error("MNIST", url + names[0], _LAYOUT, roots, reason)
        for name in names:
            if not (folder / name).is_file():
                check = lambda p, n=name: _read_verified(p, hashes[n], True)  # noqa: E731
                try:
                    download_file(url + name, folder / name, check, opener)
                except DatasetNotFoundError:
                    raise
                except OSError as exc:
                    raise offline_error("MNIST", url + name, _LAYOUT, roots, str(exc)) from exc
    arrays = []
    for name in names:
        path = folder / name
        if not path.is_file():
            raise offline_error("MNIST", url + name, _LAYOUT, roots, f"{path} is missing")
        arrays.append(_parse_idx(_read_verified(path, hashes.get(name), verify), path))
    images, labels = arrays
    if len(images) != len(labels):
        raise ValueError(f"{folder}: {len(images)} images but {len(labels)} labels")
    return images, labels.astype(np.int32)
