"""Audio encoders (notebook 04): (batch, samples) waveforms -> (batch, embedding_dim).

Every kind takes raw waveforms, so a saved model serves raw audio:

- ``"mel_cnn"`` (default): a fixed front end (:class:`~mmtutor.preprocessing.LogMelSpectrogram`,
  optionally normalised per mel bin) turns the waveform into a (frames, mel bins) image,
  and a small 2-D CNN reads it;
- ``"wave_cnn"``: a 1-D CNN on the samples themselves (Dai et al., 2017; Lee et al., 2017).
  Its first layer is a wide, strided convolution whose kernels play the part of a
  *learned* filterbank; conv/pool blocks follow, then global pooling over time and a
  dense projection;
- ``"mel_cnn_bn"`` (:data:`REAL_AUDIO_KINDS`, notebook 15): for real recordings such as
  AV-MNIST's 1-s FSDD clips, the same log-mel front end, SpecAugment masking in training
  (:class:`~mmtutor.preprocessing.SpecAugment`), three wider conv blocks with batch
  normalisation, then the mean *and* the maximum over time.
  :func:`mmtutor.encoders.build_encoder` picks it for waveforms longer than 4,000 samples.

The input length is checked by Keras: a batch of another length or rank raises a
``ValueError`` naming the expected shape ``(None, num_samples)`` and the given one. A
batch of shape (n, num_samples, 1) is accepted: Keras drops the trailing axis of size 1.
"""

from __future__ import annotations

import keras
from keras import layers

from mmtutor.encoders._common import check_kind_and_dim
from mmtutor.preprocessing import LogMelSpectrogram, SpecAugment

__all__ = ["AUDIO_KINDS", "REAL_AUDIO_KINDS", "SPEC_AUGMENT", "build_audio_encoder",
           "WAVE_FILTERBANK", "mel_cnn_bn", "wave_cnn"]  # fmt: skip

#: the kinds notebook 04 compares on MM-Digits' 0.5-s clips; the first is the default there
AUDIO_KINDS = ("mel_cnn", "wave_cnn")
#: kinds for real recordings (1 s and longer, notebook 15), kept apart from MM-Digits' ones
REAL_AUDIO_KINDS = ("mel_cnn_bn",)

#: SpecAugment masks of ``kind="mel_cnn_bn"``: up to this many (frames, mel bins), one block
#: of each per example and training step (8 frames = 128 ms of a 1-s clip's 61 frames)
SPEC_AUGMENT: tuple[int, int] = (8, 4)

#: filters of the conv blocks of ``kind="mel_cnn_bn"``; each block halves time and frequency.
#: Measured on AV-MNIST (seed 0, 10 epochs, SpecAugment): (16, 32, 64) reached 0.921 on the
#: test speaker, (32, 64, 128) 0.904 at about twice the cost; the narrower one is kept
_MEL_BN_WIDTHS: tuple[int, ...] = (16, 32, 64)

#: the learned filterbank of ``kind="wave_cnn"``: (filters, kernel samples, stride).
#: 64 samples = 8 ms at 8 kHz, one window every 8 samples = 1 ms.
WAVE_FILTERBANK: tuple[int, int, int] = (32, 64, 8)

#: filters of the conv blocks after the filterbank; each block but the last pools by 4
_WAVE_WIDTHS: tuple[int, ...] = (32, 64, 64)

#: batch-norm momentum of ``"wave_cnn"``. Keras' default, 0.99, averages over ~100 steps;
#: MM-Digits has ~40 steps per epoch, so in a short run the inference statistics lag
#: behind the weights (measured, 8 epochs: validation accuracy 0.15 at 0.99, 0.64 at 0.9).
_BN_MOMENTUM = 0.9


def _check_lengths(num_samples: int, sample_rate: int, kind: str) -> None:
    for name, value in (("num_samples", num_samples), ("sample_rate", sample_rate)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    # the mel_cnn's STFT window is 256 samples; the wave_cnn needs one filterbank window
    # and, after it, at least one step through every pooling layer (4 ** 3 = 64 frames);
    # the mel_cnn_bn pools time 3 times, so it needs 8 frames of 128 samples
    _, kernel, stride = WAVE_FILTERBANK
    shortest = {"mel_cnn": 256, "mel_cnn_bn": 256 + 128 * (2 ** len(_MEL_BN_WIDTHS) - 1),
                "wave_cnn": kernel + stride * (4**3 - 1)}[kind]  # fmt: skip
    if num_samples < shortest:
        raise ValueError(
            f"audio encoder kind {kind!r} needs num_samples >= {shortest}, got {num_samples}"
        )


def wave_cnn(inputs, embedding_dim: int = 64, filterbank=(32, 64, 8), widths=(32, 64, 64),
             momentum: float = 0.9):  # fmt: skip
    """The ``"wave_cnn"`` body on a (batch, samples) waveform tensor (notebook 04 shows it).

    ``filterbank`` is (filters, kernel samples, stride) of the first, wide strided
    convolution (:data:`WAVE_FILTERBANK`), ``widths`` the filters of the 1-D conv blocks,
    ``momentum`` that of every batch normalisation (0.9, see :data:`_BN_MOMENTUM`).

    Example:
        >>> x = keras.Input(shape=(4000,))
        >>> wave_cnn(x, 16).shape
        (None, 16)
    """
    filters, kernel, stride = filterbank
    x = layers.Reshape((-1, 1), name="add_channel")(inputs)
    # wide strided convolution = a bank of learned band-pass filters, one output per 1 ms
    x = layers.Conv1D(filters, kernel, strides=stride, use_bias=False, name="filterbank")(x)
    x = layers.BatchNormalization(momentum=momentum, name="filterbank_bn")(x)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling1D(4)(x)  # rectify and pool: a rough band envelope
    for i, width in enumerate(widths):
        x = layers.Conv1D(width, 3, padding="same", use_bias=False, name=f"block{i + 1}_conv")(x)
        x = layers.BatchNormalization(momentum=momentum, name=f"block{i + 1}_bn")(x)
        x = layers.Activation("relu")(x)
        if i < len(widths) - 1:
            x = layers.MaxPooling1D(4)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.3)(x)
    return layers.Dense(embedding_dim, activation="relu")(x)


def _mel_cnn(inputs, embedding_dim: int, normalizer, sample_rate: int):
    x = LogMelSpectrogram(sample_rate=sample_rate, name="log_mel")(inputs)
    if normalizer is not None:
        x = normalizer(x)
    x = layers.Reshape((-1, x.shape[-1], 1))(x)
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    # average over time only: where in frequency a pattern sits (the formants) is kept
    x = layers.Reshape((x.shape[1], x.shape[2] * x.shape[3]))(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.3)(x)
    return layers.Dense(embedding_dim, activation="relu")(x)


def mel_cnn_bn(inputs, embedding_dim: int = 64, normalizer=None, sample_rate: int = 8000,
               spec_augment=SPEC_AUGMENT, widths=_MEL_BN_WIDTHS, time_pooling="mean_and_max",
               frontend=None):  # fmt: skip
    """The ``"mel_cnn_bn"`` body on a (batch, samples) waveform tensor (notebook 15).

    Log-mel spectrogram -> per-bin ``normalizer`` -> SpecAugment masks in training
    (``spec_augment`` = (max_frames, max_bins), :data:`SPEC_AUGMENT`; ``None``: none) ->
    one 3x3 conv block per entry of ``widths`` (no bias, batch norm, ReLU, 2x2 max-pool) ->
    pooled over time only (``time_pooling``: ``"mean_and_max"``, or ``"mean"``) -> dropout
    -> dense. ``frontend`` is the spectrogram layer (default: ``LogMelSpectrogram`` at
    ``sample_rate``, 61 frames x 32 bins for 1 s at 8 kHz); a ``normalizer`` must be fitted
    on the same front end. The arguments other than the defaults are the one-factor arms of
    ``benchmarks/avmnist_audio_ablation.py``.

    Example:
        >>> x = keras.Input(shape=(8000,))
        >>> mel_cnn_bn(x, 16, spec_augment=None, widths=(8, 16), time_pooling="mean").shape
        (None, 16)
    """
    if time_pooling not in ("mean_and_max", "mean"):
        raise ValueError(f"time_pooling must be 'mean_and_max' or 'mean', got {time_pooling!r}")
    if not widths or not all(isinstance(w, int) and not isinstance(w, bool) and w > 0
                             for w in widths):  # fmt: skip
        raise ValueError(
            f"widths must be a non-empty sequence of positive integers, got {widths!r}"
        )
    if frontend is None:
        frontend = LogMelSpectrogram(sample_rate=sample_rate, name="log_mel")
    x = frontend(inputs)
    if normalizer is not None:
        x = normalizer(x)
    if spec_augment:  # random time and frequency masks, in training only
        x = SpecAugment(*spec_augment, name="spec_augment")(x)
    x = layers.Reshape((-1, x.shape[-1], 1))(x)
    for k, width in enumerate(widths):
        x = layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"mel{k + 1}_conv")(x)
        x = layers.BatchNormalization(momentum=_BN_MOMENTUM, name=f"mel{k + 1}_bn")(x)
        x = layers.ReLU(name=f"mel{k + 1}_relu")(x)
        x = layers.MaxPooling2D(name=f"mel{k + 1}_pool")(x)
    # pool over time only, by its mean and its maximum: a word is short in a 1-s clip, and
    # the maximum keeps a pattern present for a few frames that the mean would dilute
    x = layers.Reshape((x.shape[1], x.shape[2] * x.shape[3]), name="frames")(x)
    if time_pooling == "mean":
        x = layers.GlobalAveragePooling1D()(x)
    else:
        x = layers.Concatenate(name="mean_and_max")(
            [layers.GlobalAveragePooling1D()(x), layers.GlobalMaxPooling1D()(x)]
        )
    x = layers.Dropout(0.2)(x)
    return layers.Dense(embedding_dim, activation="relu", name="projection")(x)


def build_audio_encoder(
    kind: str = "mel_cnn",
    embedding_dim: int = 64,
    normalizer: layers.Normalization | None = None,
    num_samples: int = 4000,
    sample_rate: int = 8000,
    spec_augment: tuple[int, int] | None = SPEC_AUGMENT,
) -> keras.Model:
    """Audio encoder on raw waveforms (batch, num_samples) -> (batch, embedding_dim).

    - ``kind="mel_cnn"``: log-mel spectrogram (fixed, inside the model) -> three 3x3
      conv layers with two 2x2 poolings -> average over time (not frequency) -> dense.
    - ``kind="wave_cnn"``: raw samples -> a learned filterbank (:data:`WAVE_FILTERBANK`:
      32 kernels of 64 samples, stride 8) -> batch norm, ReLU, max-pool 4 -> three 1-D
      conv blocks (3-tap kernels, batch norm, ReLU, max-pool 4 but the last) -> average
      over time -> dense. After Dai et al. (2017) and Lee et al. (2017).
    - ``kind="mel_cnn_bn"`` (real recordings, notebook 15): log-mel spectrogram ->
      SpecAugment masks (training only) -> three 3x3 conv blocks of 16, 32, 64 filters
      (no bias, batch norm, ReLU, 2x2 max-pool) -> the mean and the maximum over time
      (not frequency) -> dropout -> dense.

    Args:
        kind: architecture, one of :data:`AUDIO_KINDS` or :data:`REAL_AUDIO_KINDS`.
        embedding_dim: size of the output embedding.
        normalizer: optional adapted per-mel-bin ``Normalization`` (see
            :func:`mmtutor.preprocessing.make_spectrogram_normalizer`). Used by
            ``"mel_cnn"`` only; ``"wave_cnn"`` has no spectrogram to normalise (its batch
            normalisation plays that part) and ignores it, so that
            :func:`mmtutor.encoders.build_encoder` can build either kind.
        num_samples: waveform length the model accepts.
        sample_rate: samples per second (sets the mel scale of the mel kinds).
        spec_augment: ``(max_frames, max_bins)`` of the SpecAugment masks of
            ``"mel_cnn_bn"`` (:data:`SPEC_AUGMENT`); ``None`` or ``(0, 0)``: no masking.
            The other kinds have no masking and ignore it.

    Raises:
        ValueError: for an unknown ``kind``, a bad ``embedding_dim`` or ``spec_augment``,
            or a ``num_samples`` too short for the architecture.

    Example:
        >>> build_audio_encoder(embedding_dim=16).output_shape
        (None, 16)
        >>> enc = build_audio_encoder("wave_cnn", embedding_dim=16)
        >>> tuple(enc.get_layer("filterbank").kernel.shape)  # (kernel samples, 1, filters)
        (64, 1, 32)
        >>> real = build_audio_encoder("mel_cnn_bn", num_samples=8000)
        >>> real.get_layer("frames").output.shape  # 61 frames / 8, (32 bins / 8) x 64 filters
        (None, 7, 256)
    """
    if kind not in AUDIO_KINDS + REAL_AUDIO_KINDS:
        raise ValueError(
            f"audio encoder kind must be one of {list(AUDIO_KINDS)}, got {kind!r} "
            f"(for real recordings, 1 s and longer, also {list(REAL_AUDIO_KINDS)})"
        )
    check_kind_and_dim(kind, AUDIO_KINDS + REAL_AUDIO_KINDS, embedding_dim, "audio")
    _check_lengths(num_samples, sample_rate, kind)
    if spec_augment is not None and (
        not isinstance(spec_augment, tuple | list) or len(spec_augment) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                   for v in spec_augment)
    ):  # fmt: skip
        raise ValueError(
            f"spec_augment must be None or (max_frames, max_bins), integers >= 0, got "
            f"{spec_augment!r}"
        )
    inputs = keras.Input(shape=(num_samples,), name="audio")
    if kind == "mel_cnn":
        outputs = _mel_cnn(inputs, embedding_dim, normalizer, sample_rate)
    elif kind == "mel_cnn_bn":
        masks = tuple(spec_augment) if spec_augment and any(spec_augment) else None
        outputs = mel_cnn_bn(inputs, embedding_dim, normalizer, sample_rate, masks)
    else:
        outputs = wave_cnn(inputs, embedding_dim, WAVE_FILTERBANK, _WAVE_WIDTHS, _BN_MOMENTUM)
    return keras.Model(inputs, outputs, name="audio_encoder")
