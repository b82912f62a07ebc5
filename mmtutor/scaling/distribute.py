"""Training with ``tf.distribute`` (notebook 16): logical CPU devices, the custom training
loop that runs under any strategy, and ``TF_CONFIG`` for several worker processes.

What works with TensorFlow 2.21 / Keras 3.15 (measured for notebook 16):

- ``MirroredStrategy`` (one process, several devices): ``model.fit`` on the series' dict-input
  models, built under ``strategy.scope()``;
- ``MultiWorkerMirroredStrategy`` (several processes): ``model.fit`` fails in Keras'
  ``_maybe_symbolic_build`` ("Attempt to convert a value (PerReplica ...)"), an open Keras 3
  issue (https://github.com/keras-team/keras/issues/20585); :func:`train_custom_loop`, the
  loop ``fit`` runs, written out with ``strategy.run``, works under it and under every other
  strategy.

Nothing here runs at import: :func:`use_logical_cpus` must be called by the notebook or the
script, before TensorFlow runs its first op.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "LoopResult",
    "free_ports",
    "tf_config",
    "train_custom_loop",
    "use_logical_cpus",
]


def use_logical_cpus(count: int = 2) -> list[str]:
    """Split the CPU into ``count`` logical devices, so a ``MirroredStrategy`` has replicas
    to mirror over on a machine without GPUs; returns the devices' names.

    Must run before TensorFlow runs its first op (it fixes the devices when it starts):
    after ``mmtutor.setup()``, which runs none, and before any model or tensor is made.
    Calling it again with the same count is harmless.

    Raises:
        ValueError: ``count`` is not an integer >= 1.
        RuntimeError: TensorFlow has already started with another device configuration.

    Example:
        >>> use_logical_cpus(2)  # doctest: +SKIP
        ['/device:CPU:0', '/device:CPU:1']
    """
    import tensorflow as tf

    if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 1:
        raise ValueError(f"count must be an integer >= 1, got {count!r}")
    cpu = tf.config.list_physical_devices("CPU")[0]
    current = tf.config.get_logical_device_configuration(cpu)
    if current is None or len(current) != count:
        try:
            tf.config.set_logical_device_configuration(
                cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(int(count))]
            )
        except RuntimeError:
            have = len(tf.config.list_logical_devices("CPU"))
            raise RuntimeError(
                f"cannot split the CPU into {count} devices: TensorFlow already started with "
                f"{have}. Call use_logical_cpus right after mmtutor.setup(), before any "
                "model, tensor or dataset is made (in a notebook: restart the kernel)"
            ) from None
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """``count`` distinct TCP ports that are free on ``host`` now (the OS picks them).

    Example:
        >>> ports = free_ports(2)
        >>> len(set(ports)), all(1024 <= p < 65536 for p in ports)
        (2, True)
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a positive integer, got {count!r}")
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_config(workers: list[str], index: int) -> str:
    """The ``TF_CONFIG`` environment variable of worker ``index`` of a cluster of ``workers``
    (``"host:port"`` each): the one thing that differs between the workers' processes.

    Worker 0 is the *chief*: by convention it alone writes checkpoints and logs.

    Example:
        >>> tf_config(["10.0.0.1:12345", "10.0.0.2:12345"], 1)
        '{"cluster": {"worker": ["10.0.0.1:12345", "10.0.0.2:12345"]}, "task": {"type": "worker", "index": 1}}'
    """
    if not isinstance(workers, list | tuple) or not workers:
        raise ValueError(f"workers must be a non-empty list of 'host:port', got {workers!r}")
    bad = [w for w in workers if not isinstance(w, str) or w.rpartition(":")[2].isdigit() is False]
    if bad:
        raise ValueError(f"each worker must be 'host:port', got {bad}")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(workers):
        raise ValueError(f"index must be in [0, {len(workers)}), got {index!r}")
    return json.dumps(
        {"cluster": {"worker": list(workers)}, "task": {"type": "worker", "index": index}}
    )


@dataclass
class LoopResult:
    """What :func:`train_custom_loop` returns: the model, the mean training loss per epoch,
    the number of optimizer steps and the training time."""

    model: object  # the trained keras.Model
    losses: list[float] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0


def train_custom_loop(
    strategy,
    build_model,
    x: dict,
    y: np.ndarray,
    epochs: int = 1,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    shuffle_seed: int | None = 0,
) -> LoopResult:
    """Train ``build_model()`` on ``(x, y)`` with Adam and cross-entropy on logits, under any
    ``tf.distribute`` strategy: the loop ``model.fit`` runs, written out.

    1. Under ``strategy.scope()``: build the model *and* the optimizer, so their variables
       are mirrored on every replica (and, across workers, kept in sync).
    2. ``strategy.experimental_distribute_dataset`` splits each global batch of
       ``batch_size`` examples into one per-replica batch per replica (across workers it
       also shards the data, each worker reading its share).
    3. A ``tf.function`` step calls ``strategy.run(replica_step, ...)``: every replica
       computes its loss on its examples, scaled by ``tf.nn.compute_average_loss`` to the
       *global* batch (sum over the replica's examples / ``batch_size``), takes the gradient,
       and the optimizer sums the replicas' gradients (an all-reduce) before it updates the
       weights, the same update on every replica.
    4. ``strategy.reduce(SUM, ...)`` adds the replicas' losses: the global batch's mean loss.

    Batches are of exactly ``batch_size`` examples (the last partial batch is dropped), so
    every replica gets the same number of examples. ``shuffle_seed``: reshuffle every epoch
    with this seed (``None``: no shuffling).

    Example:
        >>> import keras
        >>> import tensorflow as tf
        >>> from mmtutor.encoders import build_vector_encoder
        >>> from mmtutor.models import build_unimodal
        >>> keras.utils.set_random_seed(0)
        >>> x = {"m0": np.random.default_rng(0).normal(size=(128, 4)).astype("float32")}
        >>> y = (x["m0"][:, 0] > 0).astype("int32")
        >>> build = lambda: build_unimodal(build_vector_encoder(4, "m0"), num_classes=2)
        >>> result = train_custom_loop(tf.distribute.get_strategy(), build, x, y, epochs=2)
        >>> result.steps, len(result.losses), result.losses[1] < result.losses[0]
        (4, 2, True)
    """
    import keras
    import tensorflow as tf

    for name, value, low in (("epochs", epochs, 1), ("batch_size", batch_size, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not isinstance(x, dict) or not x:
        raise TypeError(f"x must be a dict modality -> array, got {type(x).__name__}")
    sizes = {m: len(v) for m, v in x.items()}
    if len(set(sizes.values()) | {len(y)}) != 1:
        raise ValueError(f"x and y must hold as many examples, got {sizes} and {len(y)} labels")
    if len(y) < batch_size:
        raise ValueError(f"need at least batch_size={batch_size} examples, got {len(y)}")

    with strategy.scope():
        model = build_model()
        optimizer = keras.optimizers.Adam(learning_rate)
        optimizer.build(model.trainable_variables)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)

    dataset = tf.data.Dataset.from_tensor_slices((x, np.asarray(y)))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(y), seed=shuffle_seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=True)
    distributed = strategy.experimental_distribute_dataset(dataset)

    def replica_step(inputs, labels):
        with tf.GradientTape() as tape:
            logits = model(inputs, training=True)
            per_example = loss_fn(labels, logits)
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=batch_size)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
        return loss

    @tf.function
    def train_step(inputs, labels):
        per_replica = strategy.run(replica_step, args=(inputs, labels))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    result = LoopResult(model=model)
    start = time.perf_counter()
    for _ in range(epochs):
        total, count = 0.0, 0
        for inputs, labels in distributed:
            total += float(train_step(inputs, labels))
            count += 1
        result.losses.append(total / count)
        result.steps += count
    result.seconds = time.perf_counter() - start
    return result
