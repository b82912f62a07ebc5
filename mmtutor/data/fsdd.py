"""Free Spoken Digit Dataset (FSDD): 3,000 recordings of spoken digits, verified (notebook 15).

6 speakers (george, jackson, lucas, nicolas, theo, yweweler) x 10 digits x 50 takes,
mono 16-bit WAV at 8 kHz, 0.14-2.3 s long. Layout (under a data folder, see
:mod:`mmtutor.data._download` for where it is searched)::

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

A download is extracted into a temporary folder next to ``fsdd/recordings``, verified,
then renamed into place (``os.replace``), so an interrupted download leaves no
``recordings`` folder.

Source: Z. Jackson et al., github.com/Jakobovski/free-spoken-digit-dataset, v1.0.10.
License: CC BY-SA 4.0.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import tarfile
import tempfile
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mmtutor.data._download import (
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
    "decode_wav",
    "load_fsdd",
    "pad_or_crop",
    "write_wav",
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


def pad_or_crop(waveform: np.ndarray, num_samples: int = 4000) -> np.ndarray:
    """Centre ``waveform`` in ``num_samples``: zero-pad both sides, or keep the middle.

    Example:
        >>> pad_or_crop(np.ones(3, "float32"), 5)
        array([0., 1., 1., 1., 0.], dtype=float32)
    """
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 1:
        raise ValueError(f"num_samples must be a positive integer, got {num_samples!r}")
    w = np.asarray(waveform, dtype=np.float32)
    if w.ndim != 1:
        raise ValueError(f"waveform must be 1-D (samples,), got shape {w.shape}")
    if len(w) >= num_samples:
        start = (len(w) - num_samples) // 2
        return w[start : start + num_samples].copy()
    out = np.zeros(num_samples, np.float32)
    start = (num_samples - len(w)) // 2
    out[start : start + len(w)] = w
    return out


def write_wav(path: str | Path, waveform: np.ndarray, sample_rate: int = 8000) -> None:
    """Save a mono waveform in [-1, 1] as a 16-bit PCM WAV file (what a recorder writes).

    Values outside [-1, 1] are clipped. The inverse of :func:`decode_wav` up to the 16-bit
    rounding; notebook 15 uses it to write a folder for :func:`mmtutor.data.from_manifest`.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "tone.wav"
        >>> write_wav(path, np.sin(np.arange(800) / 5.0))
        >>> samples, rate = decode_wav(path.read_bytes(), path.name)
        >>> samples.shape, rate
        ((800,), 8000)
    """
    x = np.asarray(waveform, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"waveform must be a non-empty 1-D array, got shape {x.shape}")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive integer, got {sample_rate!r}")
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(sample_rate)
        f.writeframes((np.clip(x, -1.0, 1.0) * 32767).round().astype("<i2").tobytes())


def decode_wav(content: bytes, name: str | Path) -> tuple[np.ndarray, int]:
    """(mono float32 samples in [-1, 1], sample rate) of a 16-bit PCM WAV file's bytes."""
    try:
        with wave.open(io.BytesIO(content)) as wav:
            rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
            declared = wav.getnframes()
            frames = wav.readframes(declared)
    except (wave.Error, EOFError) as exc:
        raise ValueError(
            f"{name} is not a readable WAV file ({type(exc).__name__}: {exc})"
        ) from None
    if width != 2:
        raise ValueError(f"{name}: expected 16-bit PCM, got {8 * width}-bit samples")
    # Python's wave module returns a cut-off data chunk without complaint: check its length
    if declared == 0 or len(frames) != declared * channels * width:
        raise ValueError(
            f"{name} is truncated or empty: its header declares {declared} samples per "
            f"channel, the file holds {len(frames) // max(channels * width, 1)}"
        )
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
    return samples.reshape(-1, channels).mean(axis=1), rate


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
    """Download the release archive, extract the recordings, verify, rename into place."""
    target.mkdir(parents=True, exist_ok=True)
    archive = target / ".fsdd-v1.0.10.tar.gz"
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
        staging.replace(target / "recordings")
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
    folder = next((p / "fsdd" / "recordings" for _, p in roots if (p / "fsdd" / "recordings").is_dir()), None)  # fmt: skip
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
