"""One encoder builder per modality: ``build_<modality>_encoder(kind=..., embedding_dim=64)``.

Every builder returns a ``keras.Model`` named ``<modality>_encoder`` that maps the
modality's raw MM-Digits input to a ``(batch, embedding_dim)`` embedding:

- image: (batch, 8, 8, 1) floats in [0, 1]           -> :mod:`mmtutor.encoders.image`
- text: (batch,) strings (vectorizer inside)          -> :mod:`mmtutor.encoders.text`
- audio: (batch, samples) waveforms (log-mel inside)  -> :mod:`mmtutor.encoders.audio`
- vector: (batch, features), e.g. controlled-interaction data -> :mod:`mmtutor.encoders.vector`

Keeping preprocessing inside the encoder means a saved model serves raw inputs.
:func:`build_encoder` builds any of them with the preprocessing state (vocabulary,
spectrogram statistics) fitted on a training split.
"""

from __future__ import annotations

from mmtutor.encoders.audio import AUDIO_KINDS, REAL_AUDIO_KINDS, build_audio_encoder
from mmtutor.encoders.backbone import build_backbone_encoder
from mmtutor.encoders.image import IMAGE_KINDS, REAL_IMAGE_KINDS, build_image_encoder
from mmtutor.encoders.inspect import (
    filter_frequency_responses,
    nearest_neighbours,
    receptive_fields,
)
from mmtutor.encoders.text import TEXT_KINDS, build_text_encoder
from mmtutor.encoders.vector import VECTOR_KINDS, build_vector_encoder

__all__ = [
    "AUDIO_KINDS",
    "IMAGE_KINDS",
    "TEXT_KINDS",
    "VECTOR_KINDS",
    "KINDS",
    "REAL_AUDIO_KINDS",
    "REAL_IMAGE_KINDS",
    "build_audio_encoder",
    "build_backbone_encoder",
    "build_encoder",
    "build_image_encoder",
    "build_text_encoder",
    "build_vector_encoder",
    "default_kind",
    "filter_frequency_responses",
    "nearest_neighbours",
    "receptive_fields",
]

#: the encoder kinds of each modality; the first is the default of :func:`build_encoder` for
#: MM-Digits' inputs, the real-data kinds come last (see :func:`default_kind`)
KINDS: dict[str, tuple[str, ...]] = {
    "image": IMAGE_KINDS + REAL_IMAGE_KINDS,
    "text": TEXT_KINDS,
    "audio": AUDIO_KINDS + REAL_AUDIO_KINDS,
}


def default_kind(modality: str, train=None) -> str:
    """The encoder kind :func:`build_encoder` builds when none is given, chosen by the size
    of the ``train`` split's inputs.

    MM-Digits' inputs (8x8 images, 4,000-sample clips) get the first kind of
    :data:`KINDS` (``"cnn"``, ``"mel_cnn"``, as in notebooks 02-14). Real data gets the
    recipe notebook 15 teaches: ``"cnn_flat"`` for images of 16x16 pixels or more (e.g.
    AV-MNIST's 28x28), ``"mel_cnn_bn"`` for clips longer than 4,000 samples (e.g.
    AV-MNIST's 1-s recordings). Without ``train``: the first kind. The recipe's training
    adds a moving average of the weights in full-length runs
    (``train_and_evaluate(..., ema_momentum=0.99)``, ``benchmarks/avmnist.py``).

    Example:
        >>> import numpy as np
        >>> from types import SimpleNamespace
        >>> avmnist_like = SimpleNamespace(x={"image": np.zeros((2, 28, 28, 1)),
        ...                                   "audio": np.zeros((2, 8000))})
        >>> default_kind("image", avmnist_like), default_kind("audio", avmnist_like)
        ('cnn_flat', 'mel_cnn_bn')
        >>> default_kind("audio")
        'mel_cnn'
    """
    if modality not in KINDS:
        raise ValueError(f"modality must be one of {list(KINDS)}, got {modality!r}")
    x = getattr(train, "x", {}).get(modality) if train is not None else None
    if x is not None and modality == "image" and min(x.shape[1:3]) >= 16:
        return REAL_IMAGE_KINDS[0]
    if x is not None and modality == "audio" and x.shape[1] > 4000:
        return REAL_AUDIO_KINDS[0]
    return KINDS[modality][0]


def build_encoder(
    modality: str,
    train,
    kind: str | None = None,
    embedding_dim: int = 64,
    backbone=None,
    **options,
):
    """Build the ``modality`` encoder, fitting its preprocessing on the ``train`` split.

    The text encoder gets a vectorizer adapted on ``train.x["text"]``; the audio encoder
    a spectrogram normalizer fitted on ``train.x["audio"]``; the image encoder takes its
    input shape from ``train.x["image"]`` (8x8 for MM-Digits, 28x28 for AV-MNIST). ``options`` go to the modality's builder.
    Without a ``kind``, :func:`default_kind` chooses it by the size of the inputs: the
    series' small encoders for MM-Digits, notebook 15's recipe for 28x28 images and 1-s
    recordings.

    ``backbone`` (image only): any Keras image model, e.g.
    ``keras.applications.MobileNetV3Small(include_top=False, weights=None)``, wrapped by
    :func:`build_backbone_encoder` (resized, channels repeated, rescaled, pooled and
    projected to ``embedding_dim``) instead of building a ``kind``.

    Example:
        >>> from mmtutor.data import load_mmdigits
        >>> data = load_mmdigits()
        >>> build_encoder("text", data.train, embedding_dim=32).output_shape
        (None, 32)
    """
    from mmtutor import preprocessing

    if modality not in KINDS:
        raise ValueError(f"modality must be one of {list(KINDS)}, got {modality!r}")
    if backbone is not None:
        if modality != "image" or kind is not None:
            raise ValueError(
                "backbone wraps an image model: pass it with modality='image' and no kind, "
                f"got modality={modality!r}, kind={kind!r}"
            )
        if train is not None:
            options.setdefault("image_shape", tuple(int(d) for d in train.x["image"].shape[1:]))
        return build_backbone_encoder(backbone, embedding_dim=embedding_dim, **options)
    kind = default_kind(modality, train) if kind is None else kind
    if modality == "image":
        if train is not None:  # the image encoder has no fitted state, only a shape
            options.setdefault("image_shape", tuple(int(d) for d in train.x["image"].shape[1:]))
        return build_image_encoder(kind=kind, embedding_dim=embedding_dim, **options)
    if modality == "text":
        vectorizer = preprocessing.make_text_vectorizer(train.x["text"])
        return build_text_encoder(vectorizer, kind=kind, embedding_dim=embedding_dim, **options)
    normalizer = preprocessing.make_spectrogram_normalizer(train.x["audio"])
    options.setdefault("num_samples", int(train.x["audio"].shape[1]))
    return build_audio_encoder(
        kind=kind, embedding_dim=embedding_dim, normalizer=normalizer, **options
    )
