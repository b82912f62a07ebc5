"""Free Spoken Digit Dataset (FSDD): 3,000 recordings of spoken digits, verified (notebook 15).

6 speakers (george, jackson, lucas, nicolas, theo, yweweler) x 10 digits x 50 takes,
mono 16-bit WAV at 8 kHz, 0.14-2.3 s long. Layout (under a data folder, see
:mod:`mmtutor.data.download` for where it is searched)::

    fsdd/recordings/{digit}_{speaker}_{take}.wav      e.g. fsdd/recordings/7_jackson_32.wav

**Verification.** The download is GitHub's archive of release tag v1.0.10
(:data:`FSDD_URL`). GitHub builds such archives on the fly and their compressed bytes
have changed before, so the archive itself is not hashed; every *recording* is, after
extraction and every time a folder is read (hashing 27 MB takes a fraction of a second).
To keep the package small, the per-file record (``mmtutor/data/_fsdd_sha256.py``, 54 KB)
holds the first 64 bits of each recording's SHA-256, which names the file that fails,
and :data:`FSDD_LISTING_SHA256` is the full SHA-256 of the sorted listing
``"<file name> <full sha256>\\n"`` of all 3,000 files, which checks every full digest at
once. Both were computed from the project's offline copy, identical to the release.

A download goes to a uniquely named temporary archive, is extracted into a uniquely named
temporary folder next to ``fsdd/recordings``, verified, then renamed into place, so an
interrupted download leaves no ``recordings`` folder and two loaders downloading at once
do not disturb each other. Recordings are decoded by :func:`mmtutor.data.audio.decode_wav`.

Source: Z. Jackson et al., github.com/Jakobovski/free-spoken-digit-dataset, v1.0.10.
License: CC BY-SA 4.0.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mmtutor.data.audio import decode_wav, pad_or_crop
from mmtutor.data.download import (
    DatasetNotFoundError,
    HashMismatchError,
    candidate_roots,
    download_file,
    offline_error,
)

__all__ = [
    "FSDD_FILES",
    "FSDD_LISTING_SHA256",
    "FSDD_SPEAKERS",
    "FSDD_URL",
    "FSDDRecordings",
    "load_fsdd",
    "verify_fsdd_folder",
]

FSDD_URL = (
    "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/v1.0.10.tar.gz"
)
FSDD_SPEAKERS: tuple[str, ...] = ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")
#: the 3,000 file names in canonical order: digit, then speaker, then take
FSDD_FILES: tuple[str, ...] = tuple(
    f"{d}_{s}_{t}.wav" for d in range(10) for s in FSDD_SPEAKERS for t in range(50)
)
#: SHA-256 of ``"".join(f"{name} {sha256}\n" for name in sorted(FSDD_FILES))``
FSDD_LISTING_SHA256 = "dbd573d7cafe79c4b49f65718115e1304e24e067fa39eff18a660dc6cb9c360f"
SAMPLE_RATE = 8000
_LAYOUT = "  fsdd/recordings/{digit}_{speaker}_{take}.wav   (3,000 files, e.g. 7_jackson_32.wav)"


@dataclass(frozen=True)
class FSDDRecordings:
    """The FSDD recordings: variable-length waveforms and what each one is.

    ``waveforms`` is an object array of float32 arrays in [-1, 1] (int16 / 32768);
    ``digit``, ``take`` (n,) int32; ``speaker``, ``file`` (n,) object arrays of str.
    """

    waveforms: np.ndarray
    digit: np.ndarray
    speaker: np.ndarray
    take: np.ndarray
    file: np.ndarray
    sample_rate: int = SAMPLE_RATE

    def __len__(self) -> int:
        return len(self.digit)

    def padded(self, num_samples: int = 4000) -> np.ndarray:
        """All waveforms as one (n, num_samples) float32 array (:func:`pad_or_crop`)."""
        return np.stack([pad_or_crop(w, num_samples) for w in self.waveforms])


def _prefixes() -> list[str]:
    from mmtutor.data._fsdd_sha256 import PREFIXES

    joined = "".join(PREFIXES)
    return [joined[i : i + 16] for i in range(0, len(joined), 16)]


def verify_fsdd_folder(folder: Path) -> dict[str, bytes]:
    """Read and verify the 3,000 recordings of ``folder``; returns name -> file bytes.

    Raises:
        DatasetNotFoundError: files are missing (the message names up to five).
        HashMismatchError: a file differs from the release (named), or the full
            listing hash differs.
    """
    missing = [n for n in FSDD_FILES if not (folder / n).is_file()]
    if missing:
        raise DatasetNotFoundError(
            f"{folder} lacks {len(missing)} of the 3,000 FSDD recordings, e.g. {missing[:5]}"
        )
    contents, digests = {}, {}
    for name, prefix in zip(FSDD_FILES, _prefixes(), strict=True):
        content = (folder / name).read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        if digest[:16] != prefix:
            raise HashMismatchError(folder / name, f"{prefix}... (first 16 hex digits)", digest)
        contents[name], digests[name] = content, digest
    listing = "".join(f"{n} {digests[n]}\n" for n in sorted(FSDD_FILES))
    actual = hashlib.sha256(listing.encode()).hexdigest()
    if actual != FSDD_LISTING_SHA256:
        raise HashMismatchError(f"{folder} (listing of all files)", FSDD_LISTING_SHA256, actual)
    return contents


def _download_fsdd(target: Path, url: str, opener: Callable | None) -> None:
    """Download the release archive, extract the recordings, verify, rename into place.

    The archive and the staging folder get unique temporary names in ``target``, and both
    are removed on every path, so loaders running at once never touch each other's files.
    If another loader renamed its verified folder into place first, that one is kept.
    """
    target.mkdir(parents=True, exist_ok=True)
    fd, archive_name = tempfile.mkstemp(prefix=".fsdd-", suffix=".tar.gz.part", dir=target)
    os.close(fd)
    archive = Path(archive_name)
    staging = Path(tempfile.mkdtemp(prefix=".recordings.", suffix=".part", dir=target))
    try:
        download_file(url, archive, None, opener)
        with tarfile.open(archive, "r:gz") as tar:
            wanted = set(FSDD_FILES)
            for member in tar:
                name = Path(member.name).name
                if (
                    member.isfile()
                    and Path(member.name).parent.name == "recordings"
                    and (name in wanted)
                ):  # written by base name only: no path from the archive is trusted
                    (staging / name).write_bytes(tar.extractfile(member).read())
        verify_fsdd_folder(staging)
        try:
            staging.replace(target / "recordings")
        except OSError:
            if not (target / "recordings").is_dir():
                raise  # not a concurrent loader's folder: a real error
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        archive.unlink(missing_ok=True)


def load_fsdd(
    root: str | Path | None = None,
    download: bool = True,
    verify: bool = True,
    opener: Callable | None = None,
    url: str = FSDD_URL,
) -> FSDDRecordings:
    """Load the 3,000 FSDD recordings (about a second), verified against the package's hashes.

    Args:
        root: a folder holding ``fsdd/recordings``; searched alone. Default:
            ``$MMTUTOR_DATA``, then the user cache, then a download into the cache.
        download: allow the download (11 MB) when no folder has the recordings.
        verify: check every file (see the module docstring); ``False`` skips it.
        opener: injected ``urlopen`` (tests).
        url: the release archive.

    Returns:
        :class:`FSDDRecordings`, in the canonical order of :data:`FSDD_FILES`.

    Raises:
        DatasetNotFoundError: no folder has the recordings and they cannot be
            downloaded (names the URL, the layout and ``MMTUTOR_DATA``), or a folder
            lacks some of them.
        HashMismatchError: a recording differs from the release.

    Example:
        >>> rec = load_fsdd()  # doctest: +SKIP
        >>> len(rec), rec.padded(4000).shape  # doctest: +SKIP
        (3000, (3000, 4000))
    """
    roots = candidate_roots(root)
    found = [p / "fsdd" / "recordings" for _, p in roots]
    folder = next((f for f in found if f.is_dir()), None)
    if folder is None:
        target = (roots[0][1] if root is not None else roots[-1][1]) / "fsdd"
        if not download:
            raise offline_error("FSDD", url, _LAYOUT, roots, "download=False")
        try:
            _download_fsdd(target, url, opener)
        except (DatasetNotFoundError, HashMismatchError):
            raise
        except (OSError, tarfile.TarError, EOFError) as exc:
            raise offline_error("FSDD", url, _LAYOUT, roots, str(exc)) from exc
        folder = target / "recordings"
    if verify:
        contents = verify_fsdd_folder(folder)
    else:
        missing = [n for n in FSDD_FILES if not (folder / n).is_file()]
        if missing:
            raise DatasetNotFoundError(f"{folder} lacks {len(missing)} recordings: {missing[:5]}")
        contents = {n: (folder / n).read_bytes() for n in FSDD_FILES}
    waves = np.empty(len(FSDD_FILES), dtype=object)
    for i, name in enumerate(FSDD_FILES):
        samples, rate = decode_wav(contents[name], folder / name)
        if rate != SAMPLE_RATE:
            raise ValueError(f"{folder / name}: expected {SAMPLE_RATE} Hz, got {rate} Hz")
        waves[i] = samples
    parts = [n.removesuffix(".wav").split("_") for n in FSDD_FILES]
    return FSDDRecordings(
        waveforms=waves,
        digit=np.array([int(p[0]) for p in parts], np.int32),
        speaker=np.array([p[1] for p in parts], dtype=object),
        take=np.array([int(p[2]) for p in parts], np.int32),
        file=np.array(FSDD_FILES, dtype=object),
    )
