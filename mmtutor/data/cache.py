"""A cache of built datasets, for the test suite: a dataset that many notebooks and tests
build with the same arguments is built once per test run.

Off unless ``$MMTUTOR_DATASET_CACHE`` names a folder (the repository's ``conftest.py`` sets
it for the test suite), so a reader's notebook always builds its data in-process, as the
lessons say. The key covers what is built and its arguments, the source code of the whole
``mmtutor`` package (any edit gives new keys), the Python, NumPy and SciPy versions and the
processor type, so a cached dataset is the one a build gives, array for array. An entry is a
pickle written atomically (a temporary file renamed into place, so processes running in
parallel never read half a file); point the variable only at a folder you write yourself.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import platform
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

__all__ = ["cached_dataset", "dataset_cache_folder", "source_digest", "turns_cache_off"]

_PACKAGE = Path(__file__).resolve().parents[1]


def source_digest() -> str:
    """SHA-256 of the source code of the whole ``mmtutor`` package (paths and contents).

    Example:
        >>> len(source_digest())
        64
    """
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(_PACKAGE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def turns_cache_off(value: str) -> bool:
    """Whether a cache variable's value (``MMTUTOR_DATASET_CACHE``, ``MMTUTOR_MODEL_CACHE``)
    says "no cache": ``off``, ``0``, ``false`` or ``no``, in any case.

    Example:
        >>> [turns_cache_off(v) for v in ("OFF", "no", "/tmp/cache", "")]
        [True, True, False, False]
    """
    return value.strip().lower() in ("off", "0", "false", "no")


def dataset_cache_folder() -> Path | None:
    """The folder ``$MMTUTOR_DATASET_CACHE`` names, or None (unset, empty or ``off``: no
    cache; ``0``, ``false`` and ``no`` also turn it off, as for ``MMTUTOR_MODEL_CACHE``).

    Example:
        >>> from unittest import mock
        >>> with mock.patch.dict("os.environ", {"MMTUTOR_DATASET_CACHE": ""}):
        ...     print(dataset_cache_folder())
        None
        >>> with mock.patch.dict("os.environ", {"MMTUTOR_DATASET_CACHE": "off"}):
        ...     print(dataset_cache_folder())
        None
        >>> with mock.patch.dict("os.environ", {"MMTUTOR_DATASET_CACHE": "/tmp/datasets"}):
        ...     print(dataset_cache_folder())
        /tmp/datasets
    """
    value = os.environ.get("MMTUTOR_DATASET_CACHE", "")
    return None if not value or turns_cache_off(value) else Path(value).expanduser()


def cached_dataset(what: str, options: dict, build: Callable[[], object]):
    """``build()``, or the dataset an earlier ``build()`` with the same key stored.

    ``what`` and ``options`` (the builder's arguments, already checked) make the key with the
    facts of the module docstring. Without a cache folder this is just ``build()``.
    """
    folder = dataset_cache_folder()
    if folder is None:
        return build()
    facts = {
        "what": what,
        "options": {k: repr(v) for k, v in sorted(options.items())},
        "source": source_digest(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": _version("scipy"),
        "machine": platform.machine(),
    }
    key = hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:32]
    path = folder / f"{what}-{key}.pickle"
    if path.is_file():
        with open(path, "rb") as fh:
            return pickle.load(fh)
    dataset = build()
    folder.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(handle, "wb") as fh:
            pickle.dump(dataset, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(staging, path)  # atomic: a reader sees the whole file or none
    finally:
        if os.path.exists(staging):
            os.remove(staging)
    return dataset


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return ""
