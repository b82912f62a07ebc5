"""File-based multimodal ``tf.data`` pipelines and how fast they run (notebook 16).

A folder of PNG images and WAV recordings with a manifest (the format
:func:`mmtutor.data.from_manifest` reads) is what a real project trains from. The pipeline
has four stages, each of which can be made faster on its own:

1. *list*: the manifest's rows (paths, caption, label) as a dataset of strings;
2. *read*: each file's bytes (``tf.io.read_file``); with ``interleave=k`` the rows are cut
   into ``k`` shards read concurrently, what helps when storage has latency (a network
   file system, a bucket);
3. *decode*: the series' decoders, the same as ``from_manifest``'s
   (:func:`mmtutor.data.manifest.image_from_bytes` for images, TensorFlow ops;
   :func:`mmtutor.data.audio.waveform_from_wav` for WAVs, NumPy in ``tf.numpy_function``,
   which holds Python's GIL: parallel calls overlap only the TensorFlow part);
   sequential, or ``map(num_parallel_calls=AUTOTUNE)``;
4. *cache* the decoded examples in memory after the first epoch, *batch*, and *prefetch*
   the next batches while the model trains on this one.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

__all__ = [
    "PIPELINE_VARIANTS",
    "file_pipeline",
    "format_rate",
    "measure_throughput",
    "write_split_files",
]

#: the pipelines notebook 16 compares, each a set of options of :func:`file_pipeline`
PIPELINE_VARIANTS: dict[str, dict] = {
    "naive": {},
    "parallel map": {"parallel": True},
    "parallel map + cache": {"parallel": True, "cache": True},
    "parallel map + cache + prefetch": {"parallel": True, "cache": True, "prefetch": True},
    "interleave 4 + parallel map + prefetch": {
        "parallel": True,
        "interleave": 4,
        "prefetch": True,
    },  # fmt: skip
}


def write_split_files(split, folder: str | Path, count: int | None = None) -> Path:
    """Write the first ``count`` examples of an MM-Digits split as files, as a project's
    data would be: ``images/NNNNN.png`` (8-bit grey), ``audio/NNNNN.wav`` (16-bit PCM) and
    ``manifest.csv`` with columns ``image, audio, text, label``. Returns the manifest's path.

    Example:
        >>> import tempfile
        >>> from mmtutor.data import load_mmdigits
        >>> manifest = write_split_files(load_mmdigits().test, tempfile.mkdtemp(), count=3)
        >>> sorted(p.name for p in manifest.parent.iterdir())
        ['audio', 'images', 'manifest.csv']
        >>> manifest.read_text().splitlines()[1].split(",")[:2]
        ['images/00000.png', 'audio/00000.wav']
    """
    import pandas as pd
    import tensorflow as tf

    from mmtutor.data import write_wav

    n = len(split.y) if count is None else count
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= len(split.y):
        raise ValueError(f"count must be an integer in [1, {len(split.y)}], got {count!r}")
    missing = [m for m in ("image", "audio", "text") if m not in split.x]
    if missing:
        raise ValueError(f"the split has no {missing}: it holds {list(split.x)}")
    folder = Path(folder)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    (folder / "audio").mkdir(exist_ok=True)
    rows = []
    for i in range(n):
        image = np.round(np.clip(split.x["image"][i], 0.0, 1.0) * 255).astype(np.uint8)
        png = tf.io.encode_png(image).numpy()
        (folder / "images" / f"{i:05d}.png").write_bytes(png)
        write_wav(folder / "audio" / f"{i:05d}.wav", split.x["audio"][i])
        rows.append((f"images/{i:05d}.png", f"audio/{i:05d}.wav", str(split.x["text"][i]),
                     int(split.y[i])))  # fmt: skip
    manifest = folder / "manifest.csv"
    pd.DataFrame(rows, columns=["image", "audio", "text", "label"]).to_csv(manifest, index=False)
    return manifest


def file_pipeline(
    manifest: str | Path,
    batch_size: int = 64,
    parallel: bool = False,
    interleave: int = 0,
    cache: bool = False,
    prefetch: bool = False,
    vectorizer=None,
    image_size: tuple[int, int] = (8, 8),
    num_samples: int = 4000,
    sample_rate: int = 8000,
):
    """A batched ``tf.data.Dataset`` of ``({"image", "audio", "text"}, label)`` read from the
    files of ``manifest`` (written by :func:`write_split_files`, or your own with columns
    ``image, audio, text, label``; paths relative to the manifest's folder; labels are
    class ids).

    Args:
        batch_size: examples per batch (the last batch may be smaller).
        parallel: decode with ``map(num_parallel_calls=tf.data.AUTOTUNE)`` (order kept)
            instead of one example at a time.
        interleave: if ``k > 0``, read the files of ``k`` shards of the rows concurrently
            (``Dataset.interleave``); the order of the examples changes (round robin over
            the shards), deterministically.
        cache: keep the decoded examples in memory after the first pass (later epochs
            skip reading and decoding).
        prefetch: ``prefetch(tf.data.AUTOTUNE)`` at the end, so batches are prepared while
            the consumer works.
        vectorizer: a ``TextVectorization`` layer to apply in the pipeline (batched), so
            the model receives token ids instead of strings.
        image_size, num_samples, sample_rate: the series' input sizes (MM-Digits: 8x8
            images, 4,000 samples at 8 kHz).

    Example:
        >>> import tempfile
        >>> from mmtutor.data import load_mmdigits
        >>> manifest = write_split_files(load_mmdigits().test, tempfile.mkdtemp(), count=5)
        >>> ds = file_pipeline(manifest, batch_size=4, parallel=True, prefetch=True)
        >>> [tuple(x["audio"].shape) for x, y in ds]
        [(4, 4000), (1, 4000)]
    """
    import pandas as pd
    import tensorflow as tf

    from mmtutor.data.audio import waveform_from_wav
    from mmtutor.data.manifest import image_from_bytes

    for name, value, low in (("batch_size", batch_size, 1), ("interleave", interleave, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    manifest = Path(manifest)
    table = pd.read_csv(manifest, dtype={"text": str}, keep_default_na=False)
    absent = [c for c in ("image", "audio", "text", "label") if c not in table.columns]
    if absent:
        raise ValueError(f"the manifest has no column {absent}; it has {list(table.columns)}")
    base = manifest.parent
    rows = {
        "image": [str(base / p) for p in table["image"]],
        "audio": [str(base / p) for p in table["audio"]],
        "text": list(table["text"]),
    }
    ds = tf.data.Dataset.from_tensor_slices((rows, table["label"].to_numpy(np.int32)))

    def read(row, label):  # stage 2: bytes of both files; the caption is already there
        return {**row, "image": tf.io.read_file(row["image"]),
                "audio": tf.io.read_file(row["audio"])}, label  # fmt: skip

    def wav(content):
        return waveform_from_wav(content, "a WAV file", num_samples, sample_rate)

    def decode(row, label):  # stage 3: the decoders of from_manifest
        waveform = tf.numpy_function(wav, [row["audio"]], tf.float32, stateful=False)
        return {
            "image": image_from_bytes(row["image"], image_size),
            "audio": tf.ensure_shape(waveform, [num_samples]),
            "text": row["text"],
        }, label

    calls = tf.data.AUTOTUNE if parallel else None
    order = True if parallel else None  # keep the order (an option of parallel maps only)
    if interleave:
        shards = tf.data.Dataset.range(interleave)
        ds = shards.interleave(lambda k: ds.shard(interleave, k).map(read),
                               cycle_length=interleave, num_parallel_calls=tf.data.AUTOTUNE,
                               deterministic=True)  # fmt: skip
    else:
        ds = ds.map(read, num_parallel_calls=calls, deterministic=order)
    ds = ds.map(decode, num_parallel_calls=calls, deterministic=order)
    if cache:
        ds = ds.cache()
    ds = ds.batch(batch_size)
    if vectorizer is not None:
        ds = ds.map(lambda x, y: ({**x, "text": vectorizer(x["text"])}, y),
                    num_parallel_calls=calls, deterministic=order)  # fmt: skip
    if prefetch:
        ds = ds.prefetch(tf.data.AUTOTUNE)
    return ds


def measure_throughput(dataset, epochs: int = 2) -> list[tuple[int, float]]:
    """Iterate over ``dataset`` ``epochs`` times, doing nothing with the batches; returns
    ``(examples, seconds)`` per epoch (wall clock).

    The first epoch of a cached pipeline fills the cache, so it is measured apart from the
    next; divide to get examples per second (:func:`format_rate`).

    Example:
        >>> import tensorflow as tf
        >>> runs = measure_throughput(tf.data.Dataset.range(10).batch(4), epochs=2)
        >>> [examples for examples, seconds in runs]
        [10, 10]
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    runs = []
    for _ in range(epochs):
        examples, start = 0, time.perf_counter()
        for batch in dataset:
            first = batch[1] if isinstance(batch, tuple) else batch
            examples += int(first.shape[0])
        runs.append((examples, time.perf_counter() - start))
    return runs


def format_rate(examples_per_second: float, width: int = 0) -> str:
    """A throughput as printed in notebook 16, e.g. ``'1,234 ex/s (wall)'``.

    Like :func:`mmtutor.training.format_seconds`: the ``(wall)`` suffix marks a figure that
    changes run to run, which the test suite's sanitize file masks. ``width`` pads the
    number on the left, so a column keeps its width.

    Example:
        >>> format_rate(1234.5), format_rate(87.04, width=6)
        ('1,234 ex/s (wall)', '    87 ex/s (wall)')
    """
    if not np.isfinite(examples_per_second) or examples_per_second < 0:
        raise ValueError(f"examples_per_second must be finite and >= 0, got {examples_per_second}")
    return f"{examples_per_second:{width},.0f} ex/s (wall)"
