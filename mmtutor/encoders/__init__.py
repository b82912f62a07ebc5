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

from mmtutor.encoders.audio import AUDIO_KINDS, build_audio_encoder
from mmtutor.encoders.image import IMAGE_KINDS, build_image_encoder
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
    "build_audio_encoder",
    "build_encoder",
    "build_image_encoder",
    "build_text_encoder",
    "build_vector_encoder",
    "filter_frequency_responses",
    "nearest_neighbours",
    "receptive_fields",
]

#: the encoder kinds of each modality; the first is the default of :func:`build_encoder`
KINDS: dict[str, tuple[str, ...]] = {"image": IMAGE_KINDS, "text": TEXT_KINDS, "audio": AUDIO_KINDS}


def build_encoder(
    modality: str, train, kind: str | None = None, embedding_dim: int = 64, **options
):
    """Build the ``modality`` encoder, fitting its preprocessing on the ``train`` split.

    The text encoder gets a vectorizer adapted on ``train.x["text"]``; the audio encoder
    a spectrogram normalizer fitted on ``train.x["audio"]``; the image encoder takes its
    input shape from ``train.x["image"]`` (8x8 for MM-Digits, 28x28 for AV-MNIST). ``options`` go to the modality's builder.

    Example:
        >>> from mmtutor.data import load_mmdigits
        >>> data = load_mmdigits()
        >>> build_encoder("text", data.train, embedding_dim=32).output_shape
        (None, 32)
    """
    from mmtutor import preprocessing

    if modality not in KINDS:
        raise ValueError(f"modality must be one of {list(KINDS)}, got {modality!r}")
    kind = KINDS[modality][0] if kind is None else kind
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
