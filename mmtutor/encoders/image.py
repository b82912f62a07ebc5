"""Image encoders (notebook 02): (batch, 8, 8, 1) in [0, 1] -> (batch, embedding_dim).

- ``"cnn"`` (default): two 3x3 conv blocks, global average pooling, a dense projection;
- ``"resnet"``: a stem convolution, residual blocks with skip connections (He et al.,
  2016), global average pooling, a dense projection;
- ``"cnn_flat"`` (:data:`REAL_IMAGE_KINDS`, notebook 15): for real images such as
  AV-MNIST's 28x28 digits, three conv blocks with batch normalisation, then the final map
  *flattened* instead of averaged, so the embedding keeps where each feature is.
  :func:`mmtutor.encoders.build_encoder` picks it for images of 16x16 pixels or more.

Both take an optional augmentation layer first (active in training only). The input is
checked by Keras: a batch of another image size or channel count raises a ``ValueError``
naming the expected and the given shape. A batch of shape (n, 8, 8), without the channel
axis of size 1, is accepted: Keras adds that axis itself.
"""

from __future__ import annotations

import keras
from keras import layers

from mmtutor.encoders._common import check_kind_and_dim
from mmtutor.preprocessing import IMAGE_SHAPE

__all__ = ["IMAGE_KINDS", "REAL_IMAGE_KINDS", "build_image_encoder", "residual_block"]

#: the kinds notebook 02 compares on MM-Digits' 8x8 images; the first is the default there
IMAGE_KINDS = ("cnn", "resnet")
#: kinds for real images (28x28 and larger, notebook 15), kept apart from the 8x8 ones
REAL_IMAGE_KINDS = ("cnn_flat",)

#: filters of the residual blocks of ``kind="resnet"``; block k > 1 halves the grid
_RESNET_WIDTHS = (16, 32, 64)
#: batch-norm momentum of ``kind="resnet"``. Keras' default, 0.99, averages the statistics
#: over ~100 steps; MM-Digits has ~40 steps an epoch, so with 0.99 the moving statistics
#: used at inference lag for several epochs and validation accuracy stays near chance.
_BN_MOMENTUM = 0.9

#: filters of the conv blocks of ``kind="cnn_flat"`` (a 5x5 kernel first, then 3x3); each
#: block halves the grid: 28x28 -> 14 -> 7 -> 3, so 3 x 3 x 64 = 576 features are flattened
_FLAT_WIDTHS = (16, 32, 64)


def _batch_norm(name: str) -> layers.BatchNormalization:
    return layers.BatchNormalization(momentum=_BN_MOMENTUM, name=name)


def residual_block(
    x,
    filters: int,
    stride: int = 1,
    batch_norm: bool = True,
    name: str = "block",
    momentum: float = 0.9,
):
    """One residual block (He et al., 2016): ``relu(F(x) + shortcut(x))``.

    ``F`` is conv 3x3 (``stride``) -> [BN] -> ReLU -> conv 3x3 -> [BN]. The shortcut is
    the identity when the shape is kept, else a 1x1 convolution (``stride``) -> [BN] that
    projects ``x`` to ``filters`` channels on the smaller grid. Batch normalisation uses
    ``momentum`` 0.9 (see :data:`_BN_MOMENTUM` for why not Keras' 0.99).

    Example:
        >>> x = keras.Input(shape=(8, 8, 16))
        >>> residual_block(x, 32, stride=2).shape
        (None, 4, 4, 32)
    """
    if isinstance(filters, bool) or not isinstance(filters, int) or filters < 1:
        raise ValueError(f"filters must be a positive integer, got {filters!r}")
    if stride not in (1, 2):
        raise ValueError(f"stride must be 1 or 2, got {stride!r}")
    bias = not batch_norm  # a bias before batch normalization is cancelled by its shift
    y = layers.Conv2D(
        filters, 3, strides=stride, padding="same", use_bias=bias, name=f"{name}_conv1"
    )(x)
    if batch_norm:
        y = layers.BatchNormalization(momentum=momentum, name=f"{name}_bn1")(y)
    y = layers.ReLU(name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=bias, name=f"{name}_conv2")(y)
    if batch_norm:
        y = layers.BatchNormalization(momentum=momentum, name=f"{name}_bn2")(y)
    shortcut = x
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(
            filters, 1, strides=stride, use_bias=bias, name=f"{name}_shortcut"
        )(x)
        if batch_norm:
            shortcut = layers.BatchNormalization(momentum=momentum, name=f"{name}_shortcut_bn")(
                shortcut
            )
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.ReLU(name=f"{name}_out")(y)


def _cnn_flat(x, embedding_dim: int):
    """Conv blocks (batch norm, ReLU, 2x2 max-pool), the last map flattened, a dense layer."""
    for k, width in enumerate(_FLAT_WIDTHS):
        x = layers.Conv2D(width, 5 if k == 0 else 3, padding="same", use_bias=False,
                          name=f"flat{k + 1}_conv")(x)  # fmt: skip
        x = _batch_norm(f"flat{k + 1}_bn")(x)
        x = layers.ReLU(name=f"flat{k + 1}_relu")(x)
        x = layers.MaxPooling2D(name=f"flat{k + 1}_pool")(x)
    # flatten, not average: each feature keeps its place on the grid (which a PCA-degraded
    # digit, a blurred pattern at a fixed position, needs; global pooling discards it)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.2, name="flat_dropout")(x)
    return layers.Dense(embedding_dim, activation="relu", name="projection")(x)


def build_image_encoder(
    kind: str = "cnn",
    embedding_dim: int = 64,
    augmentation: keras.Layer | None = None,
    num_blocks: int = 2,
    batch_norm: bool = True,
    image_shape: tuple[int, int, int] = IMAGE_SHAPE,
) -> keras.Model:
    """Image encoder on (batch, 8, 8, 1) images in [0, 1] (another size: ``image_shape``).

    - ``kind="cnn"``: conv 3x3 (32) -> conv 3x3 (32) -> max-pool -> conv 3x3 (64) ->
      global average pooling -> dense projection.
    - ``kind="resnet"``: stem conv 3x3 (16) -> ``num_blocks`` residual blocks
      (:func:`residual_block`; 16, 32, 64 filters, every block after the first halves
      the grid: 8x8 -> 4x4 -> 2x2) -> global average pooling -> dense projection.
    - ``kind="cnn_flat"`` (real images, notebook 15): conv 5x5 (16) -> conv 3x3 (32) ->
      conv 3x3 (64), each without bias, then batch norm, ReLU and 2x2 max-pooling ->
      flatten (28x28: 3 x 3 x 64 = 576 features) -> dropout 0.2 -> dense projection.
      Global average pooling (the other kinds) forgets *where* a feature is: little is
      lost on MM-Digits' 8x8 grid, much on AV-MNIST's 28x28 digits (notebook 15 measures
      it).

    Args:
        kind: architecture, one of :data:`IMAGE_KINDS` or :data:`REAL_IMAGE_KINDS`.
        embedding_dim: size of the output embedding.
        augmentation: optional layer applied first (active in training only), e.g.
            :func:`mmtutor.preprocessing.image_augmentation`. Keras' random layers default
            to ``training=True`` when the model is *called* directly: use ``predict`` or
            pass ``training=False`` to encode clean images.
        num_blocks: residual blocks, 1-3 (``"resnet"`` only; ``"cnn_flat"`` has its own
            batch normalisation, always on).
        batch_norm: batch normalization after each convolution (``"resnet"`` only).
        image_shape: (height, width, channels) of the input, default MM-Digits' (8, 8, 1);
            AV-MNIST's is (28, 28, 1). :func:`build_encoder` takes it from the data.

    Raises:
        ValueError: on an unknown ``kind``, a bad ``embedding_dim`` or ``num_blocks``, or
            ``resnet`` options given with another kind. Calling the model on images of
            another shape raises Keras' ``ValueError`` naming the expected shape.
        TypeError: if ``augmentation`` is not a Keras layer.

    Example:
        >>> enc = build_image_encoder("resnet", embedding_dim=32)
        >>> enc.output_shape
        (None, 32)
        >>> flat = build_image_encoder("cnn_flat", image_shape=(28, 28, 1))
        >>> flat.get_layer("flatten").output.shape  # 3 x 3 x 64 positions x filters
        (None, 576)
    """
    if kind not in IMAGE_KINDS + REAL_IMAGE_KINDS:
        raise ValueError(
            f"image encoder kind must be one of {list(IMAGE_KINDS)}, got {kind!r} "
            f"(for real images, 28x28 and larger, also {list(REAL_IMAGE_KINDS)})"
        )
    check_kind_and_dim(kind, IMAGE_KINDS + REAL_IMAGE_KINDS, embedding_dim, "image")
    if isinstance(num_blocks, bool) or not isinstance(num_blocks, int) or not 1 <= num_blocks <= 3:
        raise ValueError(f"num_blocks must be an integer in [1, 3], got {num_blocks!r}")
    if kind != "resnet" and (num_blocks != 2 or batch_norm is not True):
        raise ValueError(
            f"num_blocks and batch_norm apply to kind='resnet' only, got kind={kind!r} with "
            f"num_blocks={num_blocks!r}, batch_norm={batch_norm!r}"
        )
    if augmentation is not None and not isinstance(augmentation, keras.Layer):
        raise TypeError(
            f"augmentation must be a keras.Layer or None, got {type(augmentation).__name__}"
        )
    shape = tuple(image_shape) if isinstance(image_shape, tuple | list) else None
    if (
        shape is None
        or len(shape) != 3
        or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape)
        or min(shape[:2]) < 4
    ):
        raise ValueError(
            "image_shape must be (height, width, channels), positive integers with height "
            f"and width >= 4, got {image_shape!r}"
        )
    if kind == "cnn_flat" and min(shape[:2]) < 2 ** len(_FLAT_WIDTHS):
        raise ValueError(
            f"kind='cnn_flat' pools {len(_FLAT_WIDTHS)} times: it needs images of at least "
            f"{2 ** len(_FLAT_WIDTHS)}x{2 ** len(_FLAT_WIDTHS)}, got image_shape {shape}"
        )
    inputs = keras.Input(shape=shape, name="image")
    x = augmentation(inputs) if augmentation is not None else inputs
    if kind == "cnn_flat":
        return keras.Model(inputs, _cnn_flat(x, embedding_dim), name="image_encoder")
    if kind == "cnn":
        x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
        x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
        x = layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    else:
        x = layers.Conv2D(
            _RESNET_WIDTHS[0], 3, padding="same", use_bias=not batch_norm, name="stem_conv"
        )(x)
        if batch_norm:
            x = _batch_norm("stem_bn")(x)
        x = layers.ReLU(name="stem_relu")(x)
        for k in range(num_blocks):
            x = residual_block(
                x,
                _RESNET_WIDTHS[k],
                stride=1 if k == 0 else 2,
                batch_norm=batch_norm,
                name=f"block{k + 1}",
                momentum=_BN_MOMENTUM,
            )
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(embedding_dim, activation="relu")(x)
    return keras.Model(inputs, outputs, name="image_encoder")
