"""Bring your own data: a manifest (CSV or DataFrame of paths, text and labels) -> tf.data.

:func:`from_manifest` is the door from the series to your own files (notebook 15). Each
row is one example; its columns name an image file (PNG/JPEG/GIF/BMP), a WAV file, a
text and a label. Every row is checked *before* the dataset is built, so a bad file is
reported at once with its row instead of failing mid-epoch.

**One decoder for the check and the pipeline.** The row check and the dataset's ``map``
call the same two functions on a file's bytes, so a row that passes the check cannot
fail in the pipeline, and the check computes exactly the tensor the model gets:

- images: :func:`image_from_bytes`, made of TensorFlow ops, which run eagerly (the
  check) and inside ``Dataset.map`` (the pipeline) alike. TensorFlow decodes the four
  formats itself, so the package needs no image library.
- audio: :func:`mmtutor.data.audio.waveform_from_wav`, NumPy and Python's ``wave``
  module, wrapped with ``tf.numpy_function`` in the pipeline. It is the package's one
  WAV decoder (FSDD uses it too); ``tf.audio.decode_wav`` is not used because it cannot
  tell the package's errors apart (a WAV cut off inside its data, an empty one) and
  would be a second decoder to keep in step. The price: the WAV step runs in Python
  (it holds the GIL while it decodes, which is cheap next to training) and a dataset
  holding a ``numpy_function`` cannot be saved with ``tf.data.Dataset.save``.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mmtutor.data.audio import waveform_from_wav

__all__ = ["ManifestReport", "from_manifest", "image_from_bytes"]


@dataclass
class ManifestReport:
    """What :func:`from_manifest` read: rows kept, rows skipped (with the reason), classes.

    Rows are named by the manifest's index labels, as they are (for a CSV: 0 is the first
    data row).
    """

    rows: int
    kept: list[Hashable] = field(default_factory=list)
    skipped: list[tuple[Hashable, str]] = field(default_factory=list)
    class_names: tuple = ()

    @property
    def num_skipped(self) -> int:
        return len(self.skipped)

    def summary(self) -> str:
        """One line: rows kept and skipped, with the first reasons.

        Example:
            >>> report = ManifestReport(rows=3, kept=[0, 2], skipped=[(1, "row 1: no label")])
            >>> report.summary()
            'from_manifest: kept 2 of 3 rows, skipped 1 (row 1: no label)'
        """
        line = f"from_manifest: kept {len(self.kept)} of {self.rows} rows"
        if self.skipped:
            shown = "; ".join(reason for _, reason in self.skipped[:3])
            more = f"; and {len(self.skipped) - 3} more" if len(self.skipped) > 3 else ""
            line += f", skipped {len(self.skipped)} ({shown}{more})"
        return line


def image_from_bytes(content, image_size: tuple[int, int] = (28, 28)):
    """An image file's bytes as the series' image input: (height, width, 1) float32 in [0, 1].

    PNG, JPEG, GIF (first frame) or BMP; grey, grey + alpha, RGB or RGBA. The alpha channel
    is dropped, colour is converted to grey (``tf.image.rgb_to_grayscale``), and the image
    is resized to ``image_size`` with antialiasing. TensorFlow ops only: call it eagerly on
    Python bytes, or inside ``Dataset.map`` on a string tensor.

    Raises:
        tf.errors.InvalidArgumentError: the bytes are not an image TensorFlow can decode.

    Example:
        >>> import tensorflow as tf
        >>> red = tf.io.encode_png(tf.constant([[[255, 0, 0, 128]]], tf.uint8))  # 1x1 RGBA
        >>> grey = image_from_bytes(red.numpy(), image_size=(2, 2))
        >>> tuple(grey.shape), round(float(grey[0, 0, 0]), 4)  # 0.2989 * 1.0: red's weight
        ((2, 2, 1), 0.2989)
    """
    import tensorflow as tf

    image = tf.io.decode_image(content, channels=0, expand_animations=False)  # as stored
    image = tf.image.convert_image_dtype(image, tf.float32)  # [0, 1]
    grey = tf.cond(
        tf.shape(image)[-1] >= 3,  # RGB or RGBA: convert the colour channels
        lambda: tf.image.rgb_to_grayscale(image[..., :3]),
        lambda: image[..., :1],  # grey or grey + alpha: keep the grey channel
    )
    grey = tf.image.resize(grey, image_size, antialias=True)
    return tf.ensure_shape(tf.clip_by_value(grey, 0.0, 1.0), [*image_size, 1])


def _read(path: Path, shown: str) -> bytes:
    """The file's bytes; a ValueError names the file when it is missing or unreadable."""
    try:
        if not path.is_file():
            raise ValueError(f"missing file {shown} (relative to the manifest's folder or root=)")
        return path.read_bytes()
    except OSError as exc:  # permissions, a folder that cannot be searched, a vanished file
        reason = f"{type(exc).__name__}: {exc.strerror or exc}"
        raise ValueError(f"cannot read {shown} ({reason})") from None


def _check_file(modality: str, path: Path, shown: str, image_size, num_samples, sample_rate):
    """Decode one file as the pipeline will; a ValueError names the file and the reason."""
    import tensorflow as tf

    content = _read(path, shown)
    if modality == "audio":
        return waveform_from_wav(content, shown, num_samples, sample_rate)
    try:
        return image_from_bytes(content, image_size)
    except tf.errors.OpError as exc:
        reason = exc.message.split("}}")[-1].strip().splitlines()[0]  # without TF's op name
        raise ValueError(f"cannot decode image {shown}: {reason}") from None


def _pipeline_decoder(columns: dict[str, str], image_size, num_samples: int, sample_rate: int):
    """The ``Dataset.map`` function: the same decoders as the check, on every element."""
    import tensorflow as tf

    def wav(content: bytes, path: bytes) -> np.ndarray:
        return waveform_from_wav(content, path.decode(), num_samples, sample_rate)

    def decode(inputs, label):
        out = {}
        if "image" in columns:
            out["image"] = image_from_bytes(tf.io.read_file(inputs["image"]), image_size)
        if "audio" in columns:
            content = tf.io.read_file(inputs["audio"])
            waveform = tf.numpy_function(
                wav, [content, inputs["audio"]], tf.float32, stateful=False
            )
            out["audio"] = tf.ensure_shape(waveform, [num_samples])
        if "text" in columns:
            out["text"] = inputs["text"]
        return out, label

    return decode


def _positive_ints(**values) -> None:
    for name, value in values.items():
        items = value if isinstance(value, tuple | list) else (value,)
        if not items or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in items):
            raise ValueError(f"{name} must be positive integers, got {value!r}")


def _default_classes(values: list) -> tuple:
    """The distinct labels, sorted: as numbers when every one reads as a number."""
    try:
        return tuple(sorted(values, key=lambda v: float(str(v))))
    except ValueError:
        try:
            return tuple(sorted(values))
        except TypeError:  # mixed types in a DataFrame column
            return tuple(sorted(values, key=str))


def from_manifest(
    manifest,
    image_col: str | None = None,
    audio_col: str | None = None,
    text_col: str | None = None,
    label_col: str = "label",
    labels: list | tuple | None = None,
    root: str | Path | None = None,
    on_error: str = "raise",
    image_size: tuple[int, int] = (28, 28),
    num_samples: int = 4000,
    sample_rate: int = 8000,
    verbose: bool = True,
):
    """A ``tf.data.Dataset`` of ``({modality: tensor}, label)`` from a manifest of files.

    Preprocessing is the series': image -> grey float32 in [0, 1] resized to ``image_size``
    with one channel (:func:`image_from_bytes`); audio -> mono (the channels averaged)
    at ``sample_rate``, centred in ``num_samples`` samples and scaled to a peak of 0.9
    (:func:`mmtutor.data.audio.waveform_from_wav`); text -> the string. Every row is
    checked first, with the same decoders the dataset uses (see the module docstring);
    the dataset then decodes the files on the fly.

    Args:
        manifest: a CSV path or a pandas DataFrame, one row per example. A CSV is read
            as text (only empty cells are missing).
        image_col, audio_col, text_col: columns of each modality used (at least one).
        label_col: the column of labels.
        labels: the classes, in order (label id = position); default: the distinct labels
            of the manifest, sorted (as numbers if they all are). Labels are compared as
            text, so ``labels=["0", "1"]`` and ``labels=[0, 1]`` both match a label
            column read as ``0, 1``. A label not in ``labels`` is a bad row.
        root: folder relative paths start from (default: the CSV's folder, or the
            working directory for a DataFrame).
        on_error: ``"raise"``: a bad row raises ``ValueError`` naming the row (the
            manifest's index label) and the file; ``"skip"``: bad rows are left out,
            and the count is printed and kept in ``dataset.manifest_report``. A file
            that cannot be read (permissions) is a bad row too. Never a silent drop.
        image_size, num_samples, sample_rate: as above; a WAV at another rate is a bad row.
        verbose: print the one-line report (always printed when rows are skipped).

    Returns:
        An unbatched dataset (call ``.batch(...)``) with attribute ``manifest_report``
        (:class:`ManifestReport`: kept and skipped rows, class names).

    Example:
        >>> import tempfile
        >>> import pandas as pd
        >>> import tensorflow as tf
        >>> from mmtutor.data import write_wav
        >>> folder = Path(tempfile.mkdtemp())  # a folder of files, as you would have one
        >>> png = tf.io.encode_png(tf.zeros((32, 32, 3), tf.uint8)).numpy()
        >>> _ = (folder / "cat.png").write_bytes(png)
        >>> write_wav(folder / "cat.wav", np.sin(np.arange(3000) / 5.0))
        >>> table = pd.DataFrame({"image": ["cat.png"], "audio": ["cat.wav"], "label": ["cat"]})
        >>> table.to_csv(folder / "manifest.csv", index=False)
        >>> ds = from_manifest(folder / "manifest.csv", image_col="image", audio_col="audio")
        from_manifest: kept 1 of 1 rows
        >>> {m: tuple(spec.shape) for m, spec in ds.element_spec[0].items()}
        {'image': (28, 28, 1), 'audio': (4000,)}
        >>> model.fit(ds.batch(32), epochs=5)  # doctest: +SKIP
    """
    import pandas as pd
    import tensorflow as tf

    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    _positive_ints(num_samples=num_samples, sample_rate=sample_rate)
    _positive_ints(image_size=image_size)
    if len(image_size) != 2:
        raise ValueError(f"image_size must be (height, width), got {image_size!r}")
    image_size = tuple(image_size)
    if isinstance(manifest, str | Path):
        base = Path(manifest).parent if root is None else Path(root)
        table = pd.read_csv(manifest, dtype=str, keep_default_na=False, na_values=[""])
    elif isinstance(manifest, pd.DataFrame):
        base, table = Path(root or "."), manifest
    else:
        raise TypeError(
            f"manifest must be a CSV path or a DataFrame, got {type(manifest).__name__}"
        )
    columns = {
        m: c for m, c in (("image", image_col), ("audio", audio_col), ("text", text_col)) if c
    }
    if not columns:
        raise ValueError("give at least one of image_col, audio_col, text_col")
    absent = [c for c in [*columns.values(), label_col] if c not in table.columns]
    if absent:
        raise ValueError(f"columns {absent} not in the manifest, which has {list(table.columns)}")
    if labels is None:
        present: dict[str, object] = {}
        for value in table[label_col].dropna():
            present.setdefault(str(value), value)
        classes = _default_classes(list(present.values()))
    else:
        classes = tuple(labels)
    index = {str(c): i for i, c in enumerate(classes)}
    if len(index) != len(classes):
        raise ValueError(f"labels must be distinct as text, got {list(classes)}")

    report = ManifestReport(rows=len(table), class_names=classes)
    values = {m: [] for m in columns}
    y = []
    for row, record in table.iterrows():
        row = row.item() if isinstance(row, np.generic) else row  # the index label, as it is
        try:
            label = record[label_col]
            if pd.isna(label):
                raise ValueError(f"no label (empty cell in column {label_col!r})")
            if str(label) not in index:
                raise ValueError(f"unknown label {str(label)!r} (labels: {list(index)})")
            paths = {}
            for modality, col in columns.items():
                value = record[col]
                if modality == "text":
                    paths[modality] = "" if pd.isna(value) else str(value)
                    continue
                if pd.isna(value):
                    raise ValueError(f"no {modality} file (empty cell in column {col!r})")
                # messages name the file as the manifest writes it (relative to ``root``)
                path, shown = base / str(value), str(value)
                _check_file(modality, path, shown, image_size, num_samples, sample_rate)
                paths[modality] = str(path)
        except ValueError as exc:
            if on_error == "raise":
                raise ValueError(f"manifest row {row!r}: {exc}") from None
            report.skipped.append((row, f"row {row!r}: {exc}"))
            continue
        report.kept.append(row)
        for modality in columns:
            values[modality].append(paths[modality])
        y.append(index[str(label)])
    if verbose or report.skipped:
        print(report.summary())
    if not y:
        raise ValueError(f"no usable row in the manifest ({report.summary()})")
    tensors = {m: tf.constant(v, tf.string) for m, v in values.items()}
    ds = tf.data.Dataset.from_tensor_slices((tensors, tf.constant(np.asarray(y, np.int32))))
    decode = _pipeline_decoder(columns, image_size, num_samples, sample_rate)
    ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    ds.manifest_report = report
    return ds
