"""Any Keras image backbone as an encoder of the series (notebook 12).

:func:`build_backbone_encoder` wraps a ``keras.Model`` that maps images to feature maps or
vectors (e.g. ``keras.applications.MobileNetV3Small(include_top=False, weights=None)``, or
a KerasHub backbone) into an encoder with the series' interface: it takes MM-Digits'
(batch, 8, 8, 1) images in [0, 1] under the input name ``"image"`` and returns a
(batch, embedding_dim) embedding, so :func:`mmtutor.models.build_fusion_model` takes it
like any other encoder. Inside the encoder, before the backbone:

- ``Resizing`` to the backbone's input size (keras.applications models need at least
  32x32; a backbone with an undefined size gets ``image_size``);
- a grey image repeated into the backbone's channels (``Concatenate`` of copies);
- ``Rescaling`` from [0, 1] to the range the backbone expects (``scale``, ``offset``);

and after it global average pooling (for feature maps) and a dense projection to
``embedding_dim``. Every piece is a standard Keras layer, so the encoder saves to
``.keras`` and loads back with ``keras.models.load_model``.

Pretrained weights need a network the tests never use: on a connected machine build the
backbone with ``weights="imagenet"`` (keras.applications) or
``keras_hub.models.Backbone.from_preset(...)`` and wrap it the same way.
"""

from __future__ import annotations

import keras
from keras import layers

from mmtutor.preprocessing import IMAGE_SHAPE

__all__ = ["build_backbone_encoder"]


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def build_backbone_encoder(
    backbone: keras.Model,
    embedding_dim: int = 64,
    image_shape: tuple[int, int, int] = IMAGE_SHAPE,
    image_size: int = 32,
    scale: float = 255.0,
    offset: float = 0.0,
    name: str = "image",
) -> keras.Model:
    """Wrap an image ``backbone`` as an encoder: (batch, *image_shape) in [0, 1] ->
    (batch, embedding_dim).

    Args:
        backbone: a single-input ``keras.Model`` on (batch, height, width, channels) images,
            returning feature maps (batch, h, w, features) or vectors (batch, features).
            Build keras.applications models with ``include_top=False``.
        embedding_dim: size of the output embedding (a dense ReLU projection).
        image_shape: (height, width, channels) of the series' images; MM-Digits' (8, 8, 1).
        image_size: side the images are resized to when the backbone's own input size is
            undefined (``input_shape=None``); keras.applications models need 32 or more.
        scale, offset: ``Rescaling`` of the [0, 1] images to the backbone's input range,
            ``x * scale + offset``. The default, 255 and 0, suits the keras.applications
            models that preprocess inside the model (MobileNetV3, EfficientNet, ConvNeXt);
            MobileNetV2 expects [-1, 1] (``scale=2.0, offset=-1.0``).
        name: the input's name; the encoder is ``<name>_encoder``.

    Raises:
        TypeError: if ``backbone`` is not a ``keras.Model``.
        ValueError: for a backbone with several inputs, an input that is not an image,
            channels a grey or same-channel image cannot fill, or a bad option.

    Example:
        >>> backbone = keras.Sequential(
        ...     [keras.Input((None, None, 3)), layers.Conv2D(4, 3, strides=2)], name="tiny")
        >>> encoder = build_backbone_encoder(backbone, embedding_dim=16)
        >>> encoder.name, encoder.input_shape, encoder.output_shape
        ('image_encoder', (None, 8, 8, 1), (None, 16))
        >>> tuple(encoder.get_layer("resize").output.shape)
        (None, 32, 32, 1)
    """
    if not isinstance(backbone, keras.Model):
        raise TypeError(f"backbone must be a keras.Model, got {type(backbone).__name__}")
    if len(backbone.inputs) != 1:
        raise ValueError(f"backbone must take one input, got {len(backbone.inputs)} inputs")
    if not _positive_int(embedding_dim):
        raise ValueError(f"embedding_dim must be a positive integer, got {embedding_dim!r}")
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be an identifier-like string, got {name!r}")
    shape = tuple(image_shape) if isinstance(image_shape, tuple | list) else ()
    if len(shape) != 3 or not all(_positive_int(d) for d in shape):
        raise ValueError(
            f"image_shape must be (height, width, channels) positive integers, got {image_shape!r}"
        )
    if not _positive_int(image_size):
        raise ValueError(f"image_size must be a positive integer, got {image_size!r}")
    wanted = tuple(backbone.inputs[0].shape)
    if len(wanted) != 4:
        raise ValueError(
            f"backbone must take images (batch, height, width, channels), got input shape {wanted}"
        )
    height, width, channels = wanted[1] or image_size, wanted[2] or image_size, wanted[3]
    if channels is None or (shape[2] != channels and shape[2] != 1):
        raise ValueError(
            f"backbone expects {channels} channels; images with {shape[2]} channel(s) can feed "
            "it only if they have as many, or one (repeated)"
        )

    inputs = keras.Input(shape=shape, name=name)
    x = layers.Resizing(height, width, interpolation="bilinear", name="resize")(inputs)
    if shape[2] != channels:  # a grey image, repeated into every channel
        x = layers.Concatenate(axis=-1, name="repeat_channels")([x] * channels)
    x = layers.Rescaling(scale, offset, name="backbone_range")(x)
    x = backbone(x)
    if len(x.shape) == 4:
        x = layers.GlobalAveragePooling2D(name="pool")(x)
    elif len(x.shape) != 2:
        raise ValueError(
            f"backbone must return (batch, h, w, features) or (batch, features), got {x.shape}"
        )
    outputs = layers.Dense(embedding_dim, activation="relu", name="projection")(x)
    return keras.Model(inputs, outputs, name=f"{name}_encoder")
