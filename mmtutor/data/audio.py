"""Waveforms in and out of WAV files, and the series' shaping of a recording (notebook 15).

- :func:`decode_wav`: the package's one WAV decoder (FSDD, :func:`mmtutor.data.from_manifest`'s
  row check and its ``tf.data`` pipeline all use it): 16-bit PCM, any number of channels
  mixed to mono, truncated and empty files rejected. It uses Python's ``wave`` module:
  ``scipy.io.wavfile.read`` returns the samples of a cut-off file with only a warning;
- :func:`write_wav`: its inverse, a mono 16-bit PCM file;
- :func:`pad_or_crop` and :func:`scale_to_peak`: centre a recording in a fixed number of
  samples and scale it to a peak of 0.9, as every audio input of the series is;
- :func:`waveform_from_wav`: all of the above for one file's bytes.

Pure NumPy and Python's ``wave`` module: nothing here imports TensorFlow.
"""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np

__all__ = ["decode_wav", "pad_or_crop", "scale_to_peak", "waveform_from_wav", "write_wav"]

#: the peak every waveform of the series is scaled to
PEAK = 0.9


def decode_wav(content: bytes, name: str | Path) -> tuple[np.ndarray, int]:
    """(mono float32 samples in [-1, 1], sample rate) of a 16-bit PCM WAV file's bytes.

    Samples are ``int16 / 32768``; a file with several channels is mixed to mono by
    averaging them. ``name`` is only used in error messages.

    Raises:
        TypeError: ``content`` is not bytes.
        ValueError: not a WAV file, not 16-bit PCM, or truncated or empty (Python's
            ``wave`` module returns a cut-off data chunk without complaint; this checks it).

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "stereo.wav"
        >>> with wave.open(str(path), "wb") as f:  # left 0.5, right -0.25, two frames
        ...     f.setnchannels(2); f.setsampwidth(2); f.setframerate(8000)
        ...     f.writeframes(np.array([16384, -8192] * 2, "<i2").tobytes())
        >>> decode_wav(path.read_bytes(), path.name)
        (array([0.125, 0.125], dtype=float32), 8000)
    """
    if not isinstance(content, bytes | bytearray | memoryview):
        raise TypeError(f"content must be the bytes of a WAV file, got {type(content).__name__}")
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
    if declared == 0 or len(frames) != declared * channels * width:
        raise ValueError(
            f"{name} is truncated or empty: its header declares {declared} samples per "
            f"channel, the file holds {len(frames) // max(channels * width, 1)}"
        )
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
    return samples.reshape(-1, channels).mean(axis=1), rate


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


def scale_to_peak(waveforms: np.ndarray, peak: float = PEAK) -> np.ndarray:
    """Scale each waveform (the last axis) so that its largest absolute sample is ``peak``.

    A silent waveform (all zeros) stays all zeros instead of becoming NaN (0 / 0).

    Example:
        >>> scale_to_peak(np.array([[0.0, 0.5, -0.25], [0.0, 0.0, 0.0]], "float32"), peak=1.0)
        array([[ 0. ,  1. , -0.5],
               [ 0. ,  0. ,  0. ]], dtype=float32)
    """
    x = np.asarray(waveforms)
    if not np.issubdtype(x.dtype, np.floating) or x.ndim == 0:
        raise ValueError(
            f"waveforms must be a float array of at least one dimension, got {x.dtype} "
            f"with shape {x.shape}"
        )
    m = np.max(np.abs(x), axis=-1, keepdims=True)
    if not np.all(np.isfinite(m)):
        raise ValueError("waveforms must be finite, got NaN or infinite samples")
    return x / np.where(m > 0, m / peak, 1.0)


def waveform_from_wav(
    content: bytes, name: str | Path = "<bytes>", num_samples: int = 4000, sample_rate: int = 8000
) -> np.ndarray:
    """A WAV file's bytes as the series' audio input: (num_samples,) float32, peak 0.9.

    :func:`decode_wav` (mono mix of all channels), a check of the sample rate,
    :func:`pad_or_crop` (centred), :func:`scale_to_peak`. ``name`` names the file in errors.

    Raises:
        ValueError: as :func:`decode_wav`, or a sample rate other than ``sample_rate``.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "short.wav"
        >>> write_wav(path, np.full(4, 0.25))
        >>> waveform_from_wav(path.read_bytes(), path.name, num_samples=6)
        array([0. , 0.9, 0.9, 0.9, 0.9, 0. ], dtype=float32)
    """
    samples, rate = decode_wav(content, name)
    if rate != sample_rate:
        raise ValueError(f"{name} has {rate} Hz, expected {sample_rate} Hz (resample it first)")
    return scale_to_peak(pad_or_crop(samples, num_samples)).astype(np.float32)
