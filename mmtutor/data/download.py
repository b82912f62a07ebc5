"""Where real datasets live, and how they are downloaded safely (notebook 15).

Resolution order of every real-data loader (:func:`candidate_roots`):

1. the folder passed as ``root=`` (then nothing else is searched);
2. the folder named by the environment variable ``MMTUTOR_DATA``;
3. the user cache, :func:`mmtutor.data_home` (``$MMTUTOR_CACHE`` or ``~/.cache/mmtutor``):
   the one folder loaders write to (``MMTUTOR_DATA`` is only read);
4. a download into ``root`` (when given) or the user cache, only if the loader is called
   with ``download=True``.

The first folder that holds the dataset's sub-folder is used, and it must then hold the
whole dataset and pass its hash check: a damaged folder is an error, never skipped.

Downloads (:func:`download_file`) stream into a temporary file *in the target folder*,
are verified, and only then renamed to their final name with ``os.replace`` (atomic on
one file system). On any error (a dropped connection, a short read, a hash mismatch, an
interrupt) the temporary file is deleted and the error raised: a killed download never
leaves a file that looks complete.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from collections.abc import Callable
from pathlib import Path

from mmtutor.config import data_home

__all__ = [
    "DatasetNotFoundError",
    "HashMismatchError",
    "candidate_roots",
    "describe_search",
    "download_file",
    "offline_error",
    "sha256_bytes",
    "sha256_file",
]

#: seconds before a silent connection is given up
TIMEOUT_S = 60


class HashMismatchError(ValueError):
    """A file's SHA-256 is not the one recorded in the package (or passed by the user)."""

    def __init__(self, path: str | Path, expected: str, actual: str):
        self.path, self.expected, self.actual = str(path), expected, actual
        super().__init__(
            f"SHA-256 mismatch for {path}: expected {expected}, got {actual}. The file is "
            "damaged or not the published version; delete it and download it again."
        )


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is in none of the searched folders and could not be downloaded."""


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``.

    Example:
        >>> sha256_bytes(b"abc")[:16]
        'ba7816bf8f01cfea'
    """
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks.

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "x"
        >>> _ = p.write_bytes(b"abc")
        >>> sha256_file(p)[:16]
        'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def candidate_roots(root: str | Path | None) -> list[tuple[str, Path]]:
    """The folders searched, in order, as ``(where it came from, folder)`` pairs.

    Example:
        >>> from unittest import mock
        >>> env = {"MMTUTOR_DATA": "/srv/data", "MMTUTOR_CACHE": "/srv/cache"}
        >>> with mock.patch.dict("os.environ", env):
        ...     [(where, str(path)) for where, path in candidate_roots(None)]
        [('MMTUTOR_DATA', '/srv/data'), ('user cache', '/srv/cache')]
        >>> [(where, str(path)) for where, path in candidate_roots("/my/folder")]
        [('root argument', '/my/folder')]
    """
    if root is not None:
        return [("root argument", Path(root).expanduser())]
    out = []
    env = os.environ.get("MMTUTOR_DATA")
    if env:
        out.append(("MMTUTOR_DATA", Path(env).expanduser()))
    out.append(("user cache", data_home()))
    return out


def describe_search(roots: list[tuple[str, Path]]) -> str:
    """``'root argument (/x), ...'`` for error messages."""
    return ", ".join(f"{where} ({path})" for where, path in roots)


def download_file(
    url: str,
    dest: str | Path,
    check: Callable[[Path], None] | None = None,
    opener: Callable | None = None,
    chunk_size: int = 1 << 16,
) -> Path:
    """Download ``url`` to ``dest`` atomically: stream, check, then rename.

    Args:
        url: what to fetch.
        dest: final path; its folder is created if needed.
        check: called with the temporary file once it is complete; raises (e.g.
            :class:`HashMismatchError`) to reject it. ``None`` accepts any content.
        opener: ``opener(url)`` returns a context manager with ``read(n)`` (default:
            ``urllib.request.urlopen`` with a timeout). Tests inject a fake one.
        chunk_size: bytes per read.

    Returns:
        ``dest``.

    Raises:
        OSError: the connection failed or ended before the announced ``Content-Length``.
        HashMismatchError: from ``check``. In every failure no file is left at ``dest``
        and the temporary file is removed.

    Example:
        >>> download_file("https://example.org/x.gz", "/tmp/x.gz")  # doctest: +SKIP
    """
    dest = Path(dest)
    opener = opener or (lambda u: urllib.request.urlopen(u, timeout=TIMEOUT_S))  # noqa: S310
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        written = 0
        with os.fdopen(fd, "wb") as fh, opener(url) as response:
            headers = getattr(response, "headers", None)
            announced = headers.get("Content-Length") if headers is not None else None
            while chunk := response.read(chunk_size):
                fh.write(chunk)
                written += len(chunk)
        if announced is not None and written != int(announced):
            raise OSError(f"download of {url} ended early: got {written} of {int(announced)} bytes")
        if check is not None:
            check(tmp)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest


def offline_error(
    name: str, url: str, layout: str, roots: list[tuple[str, Path]], reason: str
) -> DatasetNotFoundError:
    """The error raised when a dataset is nowhere and cannot be downloaded."""
    return DatasetNotFoundError(
        f"{name} not found in {describe_search(roots)} and not downloaded ({reason}). "
        f"Download {url} yourself and arrange the files as\n{layout}\nunder a folder, then "
        "set the environment variable MMTUTOR_DATA to that folder (or pass root=...)."
    )
