"""Export for serving (notebook 16): a model on raw inputs, its SavedModel reloaded in a
fresh process, latency, and a LiteRT (TFLite) conversion with int8 quantisation.

The series' encoders keep their preprocessing inside (the text vectorizer, the log-mel
front end), so a trained fusion model serves raw strings and waveforms. Two places want
the text vectorizer *outside* the model: ``tf.distribute`` training (Keras' ``fit`` under a
strategy averages one batch across replicas to build the model, which fails on strings)
and LiteRT (whose interpreter has no string ops). :func:`split_text_vectorizer` separates
it; :func:`build_serving_model` puts it back, behind :class:`RequireText`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import keras
import numpy as np

__all__ = [
    "RequireText",
    "build_serving_model",
    "folder_size",
    "format_ms",
    "litert_predict",
    "measure_latency",
    "predict_in_fresh_process",
    "split_text_vectorizer",
]


@keras.saving.register_keras_serializable(package="mmtutor")
class RequireText(keras.layers.Layer):
    """Pass a batch of strings through; raise if one is empty or only spaces.

    A served model must refuse what it was never trained on rather than answer: an empty
    caption becomes a row of padding, which the text encoder never saw. The check runs in
    the exported graph (``tf.debugging.Assert``, an ``InvalidArgumentError`` naming the
    layer and the rule). It uses TensorFlow ops: ``keras.ops`` has no string operations.

    Example:
        >>> import tensorflow as tf
        >>> RequireText()(tf.constant(["an odd number"])).numpy()
        array([b'an odd number'], dtype=object)
        >>> RequireText()(tf.constant(["an odd number", " "]))
        Traceback (most recent call last):
        ...
        tensorflow.python.framework.errors_impl.InvalidArgumentError: ...
    """

    def call(self, text):
        import tensorflow as tf

        length = tf.strings.length(tf.strings.strip(text))
        check = tf.debugging.Assert(
            tf.reduce_all(length > 0),
            [
                f"{self.name}: every caption must be a non-empty string; got an empty one at "
                "batch positions",
                tf.where(length == 0)[:, 0],
            ],  # fmt: skip
        )
        with tf.control_dependencies([check]):
            return tf.identity(text)

    def compute_output_shape(self, input_shape):
        return input_shape


def split_text_vectorizer(model: keras.Model):
    """``(vectorizer, token_model)``: the ``TextVectorization`` layer of ``model``'s text
    encoder, and a model that shares every other layer (and weight) of ``model`` but takes
    token ids as its ``"text"`` input. Training ``token_model`` trains ``model``.

    Example:
        >>> from mmtutor.data import load_mmdigits
        >>> from mmtutor.encoders import build_encoder
        >>> from mmtutor.models import build_fusion_model
        >>> train = load_mmdigits().train
        >>> model = build_fusion_model([build_encoder(m, train) for m in ("image", "text")])
        >>> vectorizer, token_model = split_text_vectorizer(model)
        >>> {t.name: t.dtype for t in token_model.inputs}
        {'image': 'float32', 'text': 'int64'}
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    names = [t.name for t in model.inputs]
    if "text" not in names:
        raise ValueError(f"model has no 'text' input; its inputs are {names}")
    text_encoder = model.get_layer("text_encoder")
    vectorizer = next(
        (layer for layer in text_encoder.layers
         if isinstance(layer, keras.layers.TextVectorization)), None,
    )  # fmt: skip
    if vectorizer is None:
        raise ValueError("the text encoder has no TextVectorization layer to split off")
    # the layer that reads the token ids in *this* encoder (a vectorizer shared by several
    # models has one output per model; the next layer's input is this model's)
    consumer = text_encoder.layers[text_encoder.layers.index(vectorizer) + 1]
    ids = consumer.input
    if not hasattr(ids, "dtype") or "int" not in str(ids.dtype):
        raise ValueError(
            f"cannot split the text encoder: the layer after its vectorizer, {consumer.name!r}, "
            f"does not take the token ids"
        )  # fmt: skip
    after = keras.Model(ids, text_encoder.output)
    tokens = keras.Input(shape=ids.shape[1:], dtype="int64", name="text")
    token_encoder = keras.Model(tokens, after(tokens), name="text_token_encoder")
    inputs = {
        t.name: tokens if t.name == "text"
        else keras.Input(shape=t.shape[1:], dtype=t.dtype, name=t.name)
        for t in model.inputs
    }  # fmt: skip

    def call(layer, *args, **kwargs):  # the same layers, but the token encoder for the text
        return (token_encoder if layer is text_encoder else layer)(*args, **kwargs)

    same = keras.models.clone_model(model, input_tensors=inputs if isinstance(model.input, dict)
                                    else list(inputs.values()), clone_function=lambda layer: layer,
                                    call_function=call)  # fmt: skip
    return vectorizer, keras.Model(inputs, same.output, name=f"{model.name}_tokens")


def build_serving_model(token_model: keras.Model, vectorizer) -> keras.Model:
    """A model on raw inputs: the text through :class:`RequireText` and ``vectorizer``,
    then ``token_model`` (from :func:`split_text_vectorizer`, trained on token ids).

    Export it with ``model.export(path, format="tf_saved_model")``.

    Example:
        >>> serving = build_serving_model(token_model, vectorizer)  # doctest: +SKIP
        >>> serving.export("served", format="tf_saved_model")  # doctest: +SKIP
    """
    if not isinstance(vectorizer, keras.layers.TextVectorization):
        raise TypeError(f"vectorizer must be a TextVectorization, got {type(vectorizer).__name__}")
    inputs = {}
    for t in token_model.inputs:
        if t.name == "text":
            inputs["text"] = keras.Input(shape=(), dtype="string", name="text")
        else:
            inputs[t.name] = keras.Input(shape=t.shape[1:], dtype=t.dtype, name=t.name)
    if "text" not in inputs:
        raise ValueError(f"token_model has no 'text' input: {[t.name for t in token_model.inputs]}")
    tokens = vectorizer(RequireText(name="require_text")(inputs["text"]))
    outputs = token_model({**inputs, "text": tokens})
    return keras.Model(inputs, outputs, name=token_model.name.removesuffix("_tokens") + "_serving")


_FRESH = """
import sys
import numpy as np
import tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads({threads})
tf.config.threading.set_inter_op_parallelism_threads({threads})
served = tf.saved_model.load(sys.argv[1])
inputs = dict(np.load(sys.argv[2]))
outputs = served.serve({{k: tf.constant(v) for k, v in inputs.items()}})
np.save(sys.argv[3], outputs.numpy())
"""


def predict_in_fresh_process(path: str | Path, inputs: dict, threads: int = 2,
                             timeout: float = 300.0) -> np.ndarray:  # fmt: skip
    """The outputs of the SavedModel at ``path`` on ``inputs``, computed by a new Python
    process that imports only NumPy and TensorFlow (neither Keras nor mmtutor): what a
    server does. ``threads``: TensorFlow's thread pools there (as ``mmtutor.setup``).

    Example:
        >>> logits = predict_in_fresh_process("served", data.test.x)  # doctest: +SKIP
    """
    if not (Path(path) / "saved_model.pb").is_file():
        raise ValueError(f"{path} is not a SavedModel folder (no saved_model.pb)")
    with tempfile.TemporaryDirectory() as folder:
        arrays = {k: (np.asarray(v).astype(str) if np.asarray(v).dtype == object else v)
                  for k, v in inputs.items()}  # fmt: skip
        np.savez(Path(folder) / "inputs.npz", **arrays)
        out = Path(folder) / "outputs.npy"
        run = subprocess.run(
            [sys.executable, "-c", _FRESH.format(threads=int(threads)), str(path),
             str(Path(folder) / "inputs.npz"), str(out)],
            capture_output=True, text=True, timeout=timeout,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )  # fmt: skip
        if run.returncode != 0:
            raise RuntimeError(f"the fresh process failed:\n{run.stderr[-2000:]}")
        return np.load(out)


def measure_latency(predict, inputs: dict, batch_size: int, repeats: int = 20) -> float:
    """Median wall-clock seconds of ``predict(batch)`` for a batch of the first
    ``batch_size`` examples of ``inputs``, over ``repeats`` calls after one warm-up call.

    Example:
        >>> measure_latency(lambda x: x["a"] * 2, {"a": np.ones((8, 3))}, batch_size=4) >= 0
        True
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    n = min(len(v) for v in inputs.values())
    if n < batch_size:
        raise ValueError(f"inputs hold {n} examples, fewer than batch_size={batch_size}")
    batch = {k: v[:batch_size] for k, v in inputs.items()}
    predict(batch)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        predict(batch)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def folder_size(path: str | Path) -> int:
    """Bytes of every file under ``path`` (or of the file ``path``).

    Example:
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "a").write_bytes(b"12345")
        >>> folder_size(folder)
        5
    """
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    if not path.is_dir():
        raise ValueError(f"{path} is neither a file nor a folder")
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def format_ms(seconds: float, width: int = 0) -> str:
    """A latency as printed in notebook 16, in milliseconds: ``'3.2 ms (wall)'`` (the
    ``(wall)`` suffix marks a volatile figure, see :func:`mmtutor.training.format_seconds`).

    Example:
        >>> format_ms(0.00321), format_ms(0.0456, width=6)
        ('3.2 ms (wall)', '  45.6 ms (wall)')
    """
    if not np.isfinite(seconds) or seconds < 0:
        raise ValueError(f"seconds must be finite and >= 0, got {seconds}")
    return f"{seconds * 1000:{width}.1f} ms (wall)"


def litert_predict(path: str | Path, inputs: dict, batch_size: int = 64) -> np.ndarray:
    """Outputs of the LiteRT (``.tflite``) model at ``path`` on ``inputs`` (a dict of
    arrays named as the model's inputs), run by TensorFlow's ``tf.lite.Interpreter`` in
    batches of ``batch_size``.

    (TensorFlow 2.21 still ships ``tf.lite``; it warns that the interpreter moves to the
    ``ai-edge-litert`` package, whose ``Interpreter`` has the same interface. The warning
    is silenced here.)

    Example:
        >>> logits = litert_predict("model_int8.tflite", x_tokens)  # doctest: +SKIP
    """
    import tensorflow as tf

    n = min(len(v) for v in inputs.values())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_path=str(path))
    key = next(iter(interpreter.get_signature_list()))
    runner = interpreter.get_signature_runner(key)
    details = runner.get_input_details()
    unknown = sorted(set(details) ^ set(inputs))
    if unknown:
        raise ValueError(f"the model takes {sorted(details)}, got inputs {sorted(inputs)}")
    outputs = []
    for start in range(0, n, batch_size):
        batch = {k: np.asarray(v[start : start + batch_size]).astype(details[k]["dtype"])
                 for k, v in inputs.items()}  # fmt: skip
        result = runner(**batch)  # resizes the inputs to the batch's shape
        outputs.append(np.array(next(iter(result.values()))))
    return np.concatenate(outputs)
