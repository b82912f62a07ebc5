"""A small source-filter speech synthesizer for the spoken digits of MM-Digits.

Each digit name ("zero" ... "nine") is a sequence of phone-like segments: vowels and
sonorants with three formant targets (approximate adult formants after Peterson &
Barney, 1952), fricatives (shaped noise), closures (silence) and bursts. A voiced
source (an impulse train at the speaker's pitch, falling slightly over the word) and a
noise source are filtered frame by frame in the STFT domain by the spectral envelope
of the current segment, and overlap-added back. Speakers differ in pitch, vocal-tract
length (a formant scale) and speaking rate. Background noise is added at a chosen SNR.

It is not meant to sound natural; it is meant to have the structure of speech that
the audio encoders of notebook 04 must learn: formant trajectories, onsets, timing.
Taught in notebook 00 (listen to it) and 01 (its spectrogram).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import fft as _fft

from mmtutor.data.audio import scale_to_peak

__all__ = ["DIGIT_PHONES", "Speaker", "make_speakers", "synthesize_digits", "add_noise_at_snr"]

SAMPLE_RATE = 8000
_FFT = 256
_HOP = 64

# Segment kinds: ("V", F1, F2, F3, ms) voiced with formants; ("N", ms) nasal murmur;
# ("F", centre_hz, bandwidth_hz, level, voiced, ms) fricative; ("C", ms) closure;
# ("B", centre_hz, ms) release burst.
DIGIT_PHONES: dict[int, list[tuple]] = {
    0: [
        ("F", 3300, 700, 0.5, True, 70),
        ("V", 390, 1990, 2550, 70),
        ("V", 450, 1300, 1700, 60),
        ("V", 500, 900, 2400, 80),
        ("V", 350, 800, 2300, 70),
    ],
    1: [("V", 300, 700, 2200, 60), ("V", 640, 1190, 2390, 130), ("N", 90)],
    2: [("C", 40), ("B", 3000, 20), ("V", 300, 870, 2240, 190)],
    3: [
        ("F", 2500, 1600, 0.15, False, 70),
        ("V", 450, 1300, 1700, 60),
        ("V", 280, 2250, 3000, 160),
    ],
    4: [("F", 2500, 1800, 0.2, False, 90), ("V", 570, 840, 2410, 130), ("V", 450, 1300, 1700, 90)],
    5: [
        ("F", 2500, 1800, 0.2, False, 90),
        ("V", 730, 1090, 2440, 90),
        ("V", 400, 1900, 2600, 90),
        ("F", 2500, 1800, 0.15, True, 50),
    ],
    6: [
        ("F", 3500, 500, 0.8, False, 100),
        ("V", 390, 1990, 2550, 80),
        ("C", 50),
        ("B", 2000, 20),
        ("F", 3500, 500, 0.7, False, 90),
    ],
    7: [
        ("F", 3500, 500, 0.8, False, 90),
        ("V", 530, 1840, 2480, 80),
        ("F", 2500, 1800, 0.15, True, 40),
        ("V", 500, 1500, 2500, 60),
        ("N", 70),
    ],
    8: [("V", 480, 1900, 2500, 110), ("V", 330, 2200, 2900, 80), ("C", 50), ("B", 3000, 20)],
    9: [("N", 70), ("V", 730, 1090, 2440, 90), ("V", 400, 1900, 2600, 90), ("N", 80)],
}

_NASAL = (280.0, 1300.0, 2500.0)
_WINDOW = np.hanning(_FFT).astype(np.float32)
_FREQS = np.fft.rfftfreq(_FFT, 1.0 / SAMPLE_RATE).astype(np.float32)
_CHUNK = 256


@dataclass(frozen=True)
class Speaker:
    """A synthetic speaker: mean pitch (Hz), formant scale (vocal-tract length) and rate."""

    name: str
    pitch_hz: float
    formant_scale: float
    rate: float


def make_speakers(n: int, rng: np.random.Generator) -> list[Speaker]:
    """Draw ``n`` speakers: pitch 85-240 Hz, formant scale tied to pitch, rate 0.85-1.15."""
    pitch = np.exp(rng.uniform(np.log(85.0), np.log(240.0), size=n))
    scale = 0.9 + 0.22 * (np.log(pitch) - np.log(85.0)) / (np.log(240.0) - np.log(85.0))
    scale = scale + rng.normal(0.0, 0.02, size=n)
    rate = rng.uniform(0.85, 1.15, size=n)
    return [
        Speaker(f"speaker_{i:02d}", float(p), float(s), float(r))
        for i, (p, s, r) in enumerate(zip(pitch, scale, rate, strict=True))
    ]


def _tracks(phones: list[tuple]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Breakpoint tracks (time in ms, value) of every synthesis parameter for one word."""
    t = 0.0
    f_times, f1, f2, f3 = [], [], [], []
    amp: dict[str, list[tuple[float, float]]] = {"voice": [], "noise": []}
    n_centre, n_bw = [], []
    ramp = 8.0
    for seg in phones:
        kind, dur = seg[0], float(seg[-1])
        mid = t + dur / 2
        voice = noise = 0.0
        if kind == "V":
            f_times.append(mid)
            f1.append(seg[1])
            f2.append(seg[2])
            f3.append(seg[3])
            voice = 1.0
        elif kind == "N":
            f_times.append(mid)
            f1.append(_NASAL[0])
            f2.append(_NASAL[1])
            f3.append(_NASAL[2])
            voice = 0.35
        elif kind == "F":
            noise = float(seg[3])
            voice = 0.3 if seg[4] else 0.0
            n_centre.append((mid, float(seg[1])))
            n_bw.append((mid, float(seg[2])))
        elif kind == "B":
            noise = 1.0
            n_centre.append((mid, float(seg[1])))
            n_bw.append((mid, 1500.0))
        for name, level in (("voice", voice), ("noise", noise)):
            amp[name] += [(t + min(ramp, dur / 3), level), (t + dur - min(ramp, dur / 3), level)]
        t += dur
    out = {
        "F1": (np.array(f_times), np.array(f1, dtype=float)),
        "F2": (np.array(f_times), np.array(f2, dtype=float)),
        "F3": (np.array(f_times), np.array(f3, dtype=float)),
        "total": (np.array([t]), np.array([t])),
    }
    for name, pts in amp.items():
        pts = [(0.0, 0.0), *pts, (t, 0.0)]
        out[name] = (np.array([p[0] for p in pts]), np.array([p[1] for p in pts]))
    for name, pts in (("noise_centre", n_centre), ("noise_bw", n_bw)):
        pts = pts or [(0.0, 2000.0)]
        out[name] = (np.array([p[0] for p in pts]), np.array([p[1] for p in pts]))
    return out


_TRACKS = {d: _tracks(p) for d, p in DIGIT_PHONES.items()}


def _frames(x: np.ndarray) -> np.ndarray:
    """(n, samples) -> (n, frames, _FFT) windowed frames with hop _HOP."""
    view = np.lib.stride_tricks.sliding_window_view(x, _FFT, axis=1)[:, ::_HOP]
    return view * _WINDOW


def _overlap_add(frames: np.ndarray, length: int) -> np.ndarray:
    n, n_frames, _ = frames.shape
    out = np.zeros((n, length), dtype=np.float32)
    norm = np.zeros(length, dtype=np.float32)
    frames = frames * _WINDOW
    for i in range(n_frames):
        out[:, i * _HOP : i * _HOP + _FFT] += frames[:, i]
        norm[i * _HOP : i * _HOP + _FFT] += _WINDOW**2
    return out / np.maximum(norm, 1e-3)


def _resonances(freqs: np.ndarray, centres: np.ndarray, widths: np.ndarray) -> np.ndarray:
    return widths**2 / ((freqs - centres) ** 2 + widths**2)


def synthesize_digits(
    digits: np.ndarray,
    speakers: list[Speaker],
    speaker_ids: np.ndarray,
    rng: np.random.Generator,
    duration: float = 0.5,
) -> np.ndarray:
    """Synthesize one clean spoken digit per entry of ``digits`` (float32, unit RMS).

    Args:
        digits: (n,) integers 0-9.
        speakers: the speaker table; ``speaker_ids`` index into it.
        speaker_ids: (n,) integers.
        rng: the generator that draws onsets, jitter and noise.
        duration: clip length in seconds; the word starts at a random onset inside it.

    Returns:
        (n, round(duration * 8000)) float32 waveforms at 8 kHz.
    """
    n = len(digits)
    length = int(round(duration * SAMPLE_RATE))
    padded = length + _FFT
    n_frames = 1 + (padded - _FFT) // _HOP
    frame_ms = (np.arange(n_frames) * _HOP + _FFT / 2) / SAMPLE_RATE * 1000.0
    pitch = np.array([speakers[s].pitch_hz for s in speaker_ids])
    scale = np.array([speakers[s].formant_scale for s in speaker_ids])
    rate = np.array([speakers[s].rate for s in speaker_ids]) * rng.uniform(0.93, 1.07, n)
    total = np.array([_TRACKS[d]["total"][1][0] for d in digits]) / rate
    onset = rng.uniform(20.0, np.maximum(25.0, duration * 1000.0 - total - 20.0))
    # template time of every frame; outside the word every amplitude track is zero.
    tau = (frame_ms[None, :] - onset[:, None]) * rate[:, None]
    params = {k: np.zeros((n, n_frames)) for k in _TRACKS[0] if k != "total"}
    for d in range(10):
        rows = np.flatnonzero(digits == d)
        if rows.size == 0:
            continue
        for key, (bt, bv) in _TRACKS[d].items():
            if key != "total":
                params[key][rows] = np.interp(tau[rows], bt, bv, left=bv[0], right=bv[-1])
    for key in ("voice", "noise"):
        inside = (tau >= 0) & (
            tau <= np.array([_TRACKS[d]["total"][1][0] for d in digits])[:, None]
        )
        params[key] *= inside

    # voiced source: impulse train at a pitch that falls ~15% over the clip, with jitter
    jitter = 1.0 + 0.01 * rng.standard_normal((n, 1))
    noise_src = rng.standard_normal((n, padded), dtype=np.float32)
    t = np.arange(padded) / SAMPLE_RATE
    out = np.empty((n, length), dtype=np.float32)
    for lo in range(0, n, _CHUNK):  # chunks keep the STFT arrays small and in cache
        sl = slice(lo, lo + _CHUNK)
        f0 = pitch[sl, None] * (1.08 - 0.15 * t[None, :] / duration) * jitter[sl]
        phase = np.cumsum(f0 / SAMPLE_RATE, axis=1)
        pulses = np.diff(np.floor(phase), axis=1, prepend=0.0) * np.sqrt(pitch[sl, None]) * 0.35
        p = {k: v[sl, :, None].astype(np.float32) for k, v in params.items()}
        sc = scale[sl, None, None].astype(np.float32)
        env_voice = sum(
            g * _resonances(_FREQS, p[f"F{i + 1}"] * sc, w)
            for i, (w, g) in enumerate(zip((80.0, 100.0, 160.0), (1.0, 0.6, 0.3), strict=True))
        ) * (p["voice"] / (1.0 + _FREQS / 600.0))
        env_noise = np.exp(-0.5 * ((_FREQS - p["noise_centre"]) / (p["noise_bw"] / 2)) ** 2)
        spec = _fft.rfft(_frames(pulses.astype(np.float32)), axis=-1) * env_voice
        spec += _fft.rfft(_frames(noise_src[sl]), axis=-1) * (env_noise * p["noise"] * 0.5)
        frames = _fft.irfft(spec, n=_FFT, axis=-1).astype(np.float32)
        out[sl] = _overlap_add(frames, padded)[:, _FFT // 2 : _FFT // 2 + length]
    rms = np.sqrt(np.mean(out**2, axis=1, keepdims=True))
    return out / np.maximum(rms, 1e-8)


def add_noise_at_snr(clean: np.ndarray, snr_db: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Add low-frequency-heavy background noise so that each row has the given SNR (dB), then scale
    every row to a peak of 0.9 (:func:`mmtutor.data.audio.scale_to_peak`; a silent row stays
    silent: a silent signal at any SNR gets no noise).

    Args:
        clean: (n, samples) waveforms.
        snr_db: (n,) signal-to-noise ratios in decibels.
        rng: the generator that draws the noise.
    """
    from scipy.signal import lfilter

    white = rng.standard_normal(clean.shape, dtype=np.float32)
    noise = 0.5 * white + lfilter([0.3], [1.0, -0.9], white, axis=1).astype(np.float32)
    p_sig = np.mean(clean**2, axis=1, keepdims=True)
    p_noise = np.mean(noise**2, axis=1, keepdims=True)
    noise *= np.sqrt(p_sig / (p_noise * 10.0 ** (np.asarray(snr_db)[:, None] / 10.0))).astype(
        np.float32
    )
    return scale_to_peak(clean + noise).astype(np.float32)
