"""A cache of trained models: a training that several notebooks repeat runs once.

Notebooks 07, 08, 13 and 14 (and others) start from the same unimodal baselines. Training
them is deterministic (``mmtutor.setup``: seeds, op determinism, fixed threads), so a model
trained once with the same code, data, options, seed and libraries *is* the model a second
training would give, weight for weight. :func:`mmtutor.training.unimodal_baselines` keeps
its results here under a key that covers everything that determines them:

- the source code of the whole ``mmtutor`` package (any edit gives new keys);
- a digest of every array of the data (train, validation and test inputs and labels);
- the training options (epochs, encoder kinds, seed, fit options);
- the Python, NumPy, TensorFlow and Keras versions, the processor type, the oneDNN setting
  and TensorFlow's thread counts.

A hit loads the saved models (``.keras`` files, so bit-identical weights) and their recorded
figures; a miss trains and saves. While one process trains a key, another that needs the same
key waits for it (:func:`training_lock`) and then loads it, instead of training it again on
the same cores. Writes are atomic (a temporary folder renamed into
place), so notebooks run in parallel never read half a model. The folder is
``$MMTUTOR_MODEL_CACHE``, else ``data_home() / "models"``; ``MMTUTOR_MODEL_CACHE=off``
turns the cache off.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from mmtutor.data.cache import source_digest, turns_cache_off

__all__ = ["cache_folder", "data_digest", "load_results", "results_key", "save_results",
           "training_lock"]  # fmt: skip


def cache_folder() -> Path | None:
    """The folder of the model cache, or None when ``MMTUTOR_MODEL_CACHE=off``.

    Example:
        >>> from unittest import mock
        >>> with mock.patch.dict("os.environ", {"MMTUTOR_MODEL_CACHE": "off"}):
        ...     print(cache_folder())
        None
        >>> with mock.patch.dict("os.environ", {"MMTUTOR_MODEL_CACHE": "/tmp/models"}):
        ...     print(cache_folder())
        /tmp/models
    """
    from mmtutor.config import data_home

    value = os.environ.get("MMTUTOR_MODEL_CACHE", "")
    if turns_cache_off(value):
        return None
    return Path(value).expanduser() if value else data_home() / "models"


def data_digest(data) -> str:
    """SHA-256 of every input and label array of a dataset's train, val and test splits.

    Example:
        >>> from types import SimpleNamespace
        >>> split = SimpleNamespace(x={"a": np.zeros(3)}, y=np.arange(3))
        >>> data = SimpleNamespace(train=split, val=split, test=split)
        >>> len(data_digest(data))
        64
    """
    digest = hashlib.sha256()
    for name in ("train", "val", "test"):
        split = getattr(data, name)
        for modality in sorted(split.x):
            values = np.asarray(split.x[modality])
            digest.update(f"{name}/{modality}/{values.dtype}/{values.shape}".encode())
            if values.dtype == object or values.dtype.kind in "US":
                digest.update("\x00".join(map(str, values.ravel())).encode())
            else:
                digest.update(np.ascontiguousarray(values).tobytes())
        digest.update(np.ascontiguousarray(np.asarray(split.y)).tobytes())
    return digest.hexdigest()


def results_key(what: str, data, **options) -> str:
    """The cache key of a training: what is trained, the data, the options and the
    environment (see the module docstring)."""
    import keras
    import tensorflow as tf

    from mmtutor.config import threads_set

    facts = {
        "what": what,
        "source": source_digest(),
        "data": data_digest(data),
        "options": {k: repr(v) for k, v in sorted(options.items())},
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "machine": platform.machine(),
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", ""),
        "threads": threads_set(),
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:32]


def load_results(key: str) -> dict | None:
    """The cached ``{name: TrainResult}`` of ``key``, or None (no cache, or a miss)."""
    import keras

    from mmtutor.training.fit import TrainResult

    folder = cache_folder()
    entry = folder / key if folder else None
    if entry is None or not (entry / "results.json").is_file():
        return None
    records = json.loads((entry / "results.json").read_text(encoding="utf-8"))
    out = {}
    for name, record in records.items():
        out[name] = TrainResult(
            model=keras.models.load_model(entry / f"{name}.keras"),
            history=record["history"],
            test_loss=record["test_loss"],
            test_accuracy=record["test_accuracy"],
            seconds=record["seconds"],
            params=record["params"],
            test_predictions=np.load(entry / f"{name}.npy"),
        )
    return out


def save_results(key: str, results: dict) -> None:
    """Keep ``{name: TrainResult}`` under ``key`` (atomically; a no-op without a cache)."""
    folder = cache_folder()
    if folder is None or (folder / key).exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=folder))
    try:
        records = {}
        for name, result in results.items():
            result.model.save(staging / f"{name}.keras")
            np.save(staging / f"{name}.npy", np.asarray(result.test_predictions))
            records[name] = {
                "history": result.history,
                "test_loss": result.test_loss,
                "test_accuracy": result.test_accuracy,
                "seconds": result.seconds,
                "params": result.params,
            }
        (staging / "results.json").write_text(json.dumps(records), encoding="utf-8")
        try:
            staging.replace(folder / key)
        except OSError:  # another process stored the same key first: theirs is as good
            pass
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def training_lock(key: str):
    """Hold an exclusive lock on ``key`` while its models are trained, so that a second
    process that needs the same key (a notebook running in parallel) waits for the first
    one's save and loads it, instead of training the same models again.

    ``fcntl.flock`` on ``<cache folder>/.<key>.lock``: the operating system releases it when
    its process ends, so a crashed training never blocks the next. A no-op where the cache
    is off or the platform has no ``fcntl`` (Windows): there, parallel misses each train, as
    before, and store the same models.
    """
    folder = cache_folder()
    try:
        import fcntl
    except ImportError:  # Windows
        fcntl = None
    if folder is None or fcntl is None:
        yield
        return
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f".{key}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
