"""Preprocessing for each modality, as Keras layers and tf.data helpers (notebook 01).

- image: :func:`image_augmentation` (random shifts and contrast, training only);
- text: :func:`make_text_vectorizer` (an adapted ``TextVectorization``);
- audio: :class:`LogMelSpectrogram` (STFT -> mel filterbank -> log, per example),
  :func:`make_spectrogram_normalizer` (per-mel-bin statistics of the training set) and
  :class:`SpecAugment` (random time and frequency masks, training only; notebook 15);
- imbalance: :func:`class_weights`.

Importing this module imports TensorFlow and Keras, and changes no process-wide setting
(call :func:`mmtutor.setup` first for quiet logs and reproducible runs).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers

__all__ = [
    "IMAGE_SHAPE",
    "image_augmentation",
    "make_text_vectorizer",
    "LogMelSpectrogram",
    "make_spectrogram_normalizer",
    "SpecAugment",
    "class_weights",
]

IMAGE_SHAPE: tuple[int, int, int] = (8, 8, 1)


def image_augmentation(
    seed: int = 0, shift: float = 0.125, contrast: float = 0.2
) -> keras.Sequential:
    """Random shifts (a fraction of the side; 0.125 = one pixel of 8) and contrast changes.

    The layers act only in training (``training=True``); at inference they pass images
    through unchanged, so the same model serves clean inputs.

    Example:
        >>> aug = image_augmentation(seed=0)
        >>> aug(np.zeros((2, 8, 8, 1), "float32"), training=True).shape
        TensorShape([2, 8, 8, 1])
    """
    for name, value in (("shift", shift), ("contrast", contrast)):
        if not isinstance(value, int | float) or not 0.0 <= value <= 0.5:
            raise ValueError(f"{name} must be a number in [0, 0.5], got {value!r}")
    return keras.Sequential(
        [
            layers.RandomTranslation(shift, shift, fill_mode="constant", seed=seed),
            layers.RandomContrast(contrast, seed=seed + 1),
        ],
        name="image_augmentation",
    )


def make_text_vectorizer(
    texts: np.ndarray | list[str],
    max_tokens: int = 64,
    sequence_length: int = 24,
) -> layers.TextVectorization:
    """A ``TextVectorization`` layer adapted on ``texts`` (use the training captions only).

    Standardisation lower-cases and strips punctuation; index 0 is padding and 1 the
    out-of-vocabulary token ``[UNK]``; sequences are padded or cut to ``sequence_length``.

    Example:
        >>> vec = make_text_vectorizer(["an odd number", "an even number"])
        >>> [str(token) for token in vec.get_vocabulary()[:3]]
        ['', '[UNK]', 'number']
    """
    texts = np.asarray(texts, dtype=object)
    if texts.ndim != 1 or len(texts) == 0 or not all(isinstance(t, str) for t in texts):
        raise ValueError(
            f"texts must be a non-empty 1-D sequence of str, got shape {texts.shape} "
            f"with element types {sorted({type(t).__name__ for t in texts.ravel()})}"
        )
    for name, value, low in (
        ("max_tokens", max_tokens, 3),
        ("sequence_length", sequence_length, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    vectorizer = layers.TextVectorization(
        max_tokens=max_tokens, output_sequence_length=sequence_length, name="text_vectorizer"
    )
    vectorizer.adapt(tf.constant(texts.astype(str)))
    return vectorizer


@keras.saving.register_keras_serializable(package="mmtutor")
class LogMelSpectrogram(layers.Layer):
    """Waveforms (batch, samples) -> log-mel spectrograms (batch, frames, num_mel_bins).

    ``log(mel_power + 1e-6)`` of a Hann-windowed STFT, computed for every example on its
    own. (``keras.layers.MelSpectrogram`` clips each value at the *batch's* maximum minus
    ``top_db``, so an example's features depend on the other examples in its batch;
    notebook 01 shows it. This layer has no such coupling.)

    Args:
        sample_rate: samples per second of the input.
        frame_length: STFT window, in samples (256 = 32 ms at 8 kHz).
        frame_step: hop between frames, in samples (128 = 16 ms at 8 kHz).
        num_mel_bins: mel bands between ``min_hz`` and the Nyquist frequency.
        min_hz: lowest mel band edge.

    Example:
        >>> LogMelSpectrogram()(np.zeros((2, 4000), "float32")).shape
        TensorShape([2, 30, 32])
    """

    def __init__(
        self,
        sample_rate: int = 8000,
        frame_length: int = 256,
        frame_step: int = 128,
        num_mel_bins: int = 32,
        min_hz: float = 50.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if frame_step < 1 or frame_length < frame_step or num_mel_bins < 1:
            raise ValueError(
                "LogMelSpectrogram expects frame_length >= frame_step >= 1 and num_mel_bins >= 1, "
                f"got frame_length={frame_length}, frame_step={frame_step}, "
                f"num_mel_bins={num_mel_bins}"
            )
        self.sample_rate = int(sample_rate)
        self.frame_length = int(frame_length)
        self.frame_step = int(frame_step)
        self.num_mel_bins = int(num_mel_bins)
        self.min_hz = float(min_hz)
        # (frame_length // 2 + 1, num_mel_bins): each column one triangular mel filter
        self.mel_weights = tf.signal.linear_to_mel_weight_matrix(
            num_mel_bins=self.num_mel_bins,
            num_spectrogram_bins=self.frame_length // 2 + 1,
            sample_rate=self.sample_rate,
            lower_edge_hertz=self.min_hz,
            upper_edge_hertz=self.sample_rate / 2,
        )

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(
                "LogMelSpectrogram expects waveforms of rank 2 (batch, samples), "
                f"got shape {tuple(input_shape)}"
            )
        super().build(input_shape)

    def call(self, waveforms):
        stft = tf.signal.stft(
            tf.cast(waveforms, tf.float32),
            frame_length=self.frame_length,
            frame_step=self.frame_step,
            fft_length=self.frame_length,
            window_fn=tf.signal.hann_window,
        )
        power = tf.math.square(tf.abs(stft))
        return tf.math.log(tf.tensordot(power, self.mel_weights, axes=1) + 1e-6)

    def compute_output_shape(self, input_shape):
        samples = input_shape[1]
        frames = None if samples is None else 1 + (samples - self.frame_length) // self.frame_step
        return (input_shape[0], frames, self.num_mel_bins)

    def get_config(self):
        return {
            **super().get_config(),
            "sample_rate": self.sample_rate,
            "frame_length": self.frame_length,
            "frame_step": self.frame_step,
            "num_mel_bins": self.num_mel_bins,
            "min_hz": self.min_hz,
        }


def make_spectrogram_normalizer(
    waveforms: np.ndarray, frontend: LogMelSpectrogram | None = None, batch_size: int = 256
) -> layers.Normalization:
    """A ``Normalization`` layer holding the per-mel-bin mean and variance of the log-mel
    spectrograms of ``waveforms`` (pass the training split only, to avoid leakage).

    Example:
        >>> norm = make_spectrogram_normalizer(np.random.default_rng(0).normal(size=(8, 4000)))
        >>> tuple(norm.mean.shape)
        (1, 1, 32)
    """
    waveforms = np.asarray(waveforms)
    if waveforms.ndim != 2 or len(waveforms) == 0:
        raise ValueError(f"waveforms must have shape (examples, samples), got {waveforms.shape}")
    frontend = frontend or LogMelSpectrogram()
    spectrograms = np.concatenate(
        [
            np.asarray(frontend(waveforms[i : i + batch_size]))
            for i in range(0, len(waveforms), batch_size)
        ]
    )
    norm = layers.Normalization(axis=-1, name="spectrogram_normalization")
    norm.adapt(spectrograms)
    return norm


@keras.saving.register_keras_serializable(package="mmtutor")
class SpecAugment(layers.Layer):
    """SpecAugment's masking (Park et al., 2019) of (batch, frames, bins) spectrograms.

    In training, every example gets its own ``time_masks`` blocks of ``w`` consecutive
    frames, ``w`` drawn uniformly from 0..``max_time``, and ``freq_masks`` blocks of up to
    ``max_freq`` consecutive bins, set to 0 (the training mean, after
    :func:`make_spectrogram_normalizer`). At inference (``training`` false, the default)
    it passes the spectrogram through unchanged, so the same model serves clean inputs.
    The example prints, per example, how many whole frames and whole bins were masked.
    Notebook 15 writes the time mask by hand (exercise) and uses this layer in the audio
    encoder for real recordings.

    Example:
        >>> spec = np.ones((2, 20, 8), "float32")
        >>> layer = SpecAugment(max_time=5, max_freq=2, seed=0)
        >>> masked = np.asarray(layer(spec, training=True))
        >>> [(int((m == 0).all(axis=1).sum()), int((m == 0).all(axis=0).sum())) for m in masked]
        [(1, 0), (4, 1)]
        >>> bool(np.array_equal(np.asarray(layer(spec)), spec))  # inference: unchanged
        True
    """

    def __init__(self, max_time: int = 8, max_freq: int = 4, time_masks: int = 1,
                 freq_masks: int = 1, seed: int | None = None, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        for name, value in (("max_time", max_time), ("max_freq", max_freq),
                            ("time_masks", time_masks), ("freq_masks", freq_masks)):  # fmt: skip
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"SpecAugment: {name} must be an integer >= 0, got {value!r}")
        self.max_time, self.max_freq = max_time, max_freq
        self.time_masks, self.freq_masks = time_masks, freq_masks
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                "SpecAugment expects spectrograms of rank 3 (batch, frames, bins), "
                f"got shape {tuple(input_shape)}"
            )
        super().build(input_shape)

    def _blocks(self, batch, length, max_width, count, dtype):
        """(batch, length): 1 inside ``count`` random blocks of width 0..max_width, else 0."""
        positions = keras.ops.arange(length)[None, :]
        masked = keras.ops.zeros((batch, length), dtype="bool")
        for _ in range(count):
            u = keras.random.uniform((batch, 2), seed=self.seed_generator)
            width = keras.ops.cast(keras.ops.floor(u[:, :1] * (max_width + 1)), "int32")
            width = keras.ops.minimum(width, length)
            start = keras.ops.cast(keras.ops.floor(u[:, 1:] * keras.ops.cast(
                length - width + 1, u.dtype)), "int32")  # fmt: skip
            block = (positions >= start) & (positions < start + width)
            masked = keras.ops.logical_or(masked, block)
        return keras.ops.cast(masked, dtype)

    def call(self, inputs, training=False):
        if not training:
            return inputs
        shape = keras.ops.shape(inputs)
        batch, frames, bins = shape[0], shape[1], shape[2]
        time = self._blocks(batch, frames, self.max_time, self.time_masks, inputs.dtype)
        freq = self._blocks(batch, bins, self.max_freq, self.freq_masks, inputs.dtype)
        return inputs * (1.0 - time[:, :, None]) * (1.0 - freq[:, None, :])

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_time": self.max_time, "max_freq": self.max_freq,
                "time_masks": self.time_masks, "freq_masks": self.freq_masks,
                "seed": self.seed}  # fmt: skip


def class_weights(y: np.ndarray, num_classes: int | None = None) -> dict[int, float]:
    """Inverse-frequency class weights ``n / (num_classes * count_c)``, for ``fit(class_weight=)``.

    scikit-learn's ``compute_class_weight("balanced", ...)`` over the classes
    ``0 .. num_classes - 1`` (default: up to the largest label), rounded to 4 decimals.

    Example:
        >>> class_weights(np.array([0, 0, 0, 1]))
        {0: 0.6667, 1: 2.0}
    """
    from sklearn.utils.class_weight import compute_class_weight

    y = np.asarray(y)
    if y.ndim != 1 or len(y) == 0 or not np.issubdtype(y.dtype, np.integer) or y.min() < 0:
        raise ValueError(
            f"y must be a non-empty 1-D array of non-negative integer labels, got {y!r:.80}"
        )
    num_classes = int(y.max()) + 1 if num_classes is None else num_classes
    if isinstance(num_classes, bool) or not isinstance(num_classes, int | np.integer):
        raise TypeError(f"num_classes must be an integer, got {type(num_classes).__name__}")
    if y.max() >= num_classes:
        raise ValueError(f"labels must be < num_classes={num_classes}, got a label {int(y.max())}")
    counts = np.bincount(y, minlength=num_classes)
    if np.any(counts == 0):
        raise ValueError(f"every class needs at least one example, got counts {counts.tolist()}")
    weights = compute_class_weight("balanced", classes=np.arange(num_classes), y=y)
    return {c: round(float(w), 4) for c, w in enumerate(weights)}
