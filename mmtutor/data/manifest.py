"""Bring your own data: a manifest (CSV or DataFrame of paths, text and labels) -> tf.data.

:func:`from_manifest` is the door from the series to your own files (notebook 15). Each
row is one example; its columns name an image file (PNG/JPEG/GIF/BMP), a WAV file, a
text and a label. Every row is checked *before* the dataset is built, so a bad file is
reported at once with its row number instead of failing mid-epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mmtutor.data.fsdd import decode_wav

__all__ = ["ManifestReport", "from_manifest"]


@dataclass
class ManifestReport:
    """What :func:`from_manifest` read: rows kept, rows skipped (with the reason), classes."""

    rows: int
    kept: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    class_names: tuple = ()

    @property
    def num_skipped(self) -> int:
        return len(self.skipped)

    def summary(self) -> str:
        """One line: rows kept and skipped, with the first reasons."""
        line = f"from_manifest: kept {len(self.kept)} of {self.rows} rows"
        if self.skipped:
            shown = "; ".join(reason for _, reason in self.skipped[:3])
            more = f"; and {len(self.skipped) - 3} more" if len(self.skipped) > 3 else ""
            line += f", skipped {len(self.skipped)} ({shown}{more})"
        return line


def _check_image(path: Path, shown: str) -> None:
    import tensorflow as tf

    try:
        tf.io.decode_image(tf.io.read_file(str(path)), expand_animations=False)
    except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as exc:
        raise ValueError(f"cannot decode image {shown}: {exc.message.splitlines()[0]}") from None


def _check_audio(path: Path, sample_rate: int, shown: str) -> None:
    _, rate = decode_wav(path.read_bytes(), shown)
    if rate != sample_rate:
        raise ValueError(f"{shown} has {rate} Hz, expected {sample_rate} Hz (resample it first)")


def _decoder(columns: dict[str, str], image_size, num_samples: int):
    import tensorflow as tf

    def decode(inputs, label):
        out = {}
        if "image" in columns:
            img = tf.io.decode_image(
                tf.io.read_file(inputs["image"]), channels=1, expand_animations=False
            )
            img = tf.image.convert_image_dtype(img, tf.float32)  # [0, 1]
            img = tf.image.resize(img, image_size, antialias=True)
            out["image"] = tf.ensure_shape(tf.clip_by_value(img, 0.0, 1.0), [*image_size, 1])
        if "audio" in columns:
            wav, _ = tf.audio.decode_wav(tf.io.read_file(inputs["audio"]), desired_channels=1)
            w = wav[:, 0]
            start = tf.maximum((tf.shape(w)[0] - num_samples) // 2, 0)
            w = w[start : start + num_samples]  # centre crop, as pad_or_crop
            pad = num_samples - tf.shape(w)[0]
            w = tf.pad(w, [[pad // 2, pad - pad // 2]])
            w = w / tf.maximum(tf.reduce_max(tf.abs(w)), 1e-9) * 0.9
            out["audio"] = tf.ensure_shape(w, [num_samples])
        if "text" in columns:
            out["text"] = inputs["text"]
        return out, label

    return decode


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

    Preprocessing is the series': image -> grayscale float32 in [0, 1] resized to
    ``image_size`` with one channel; audio -> mono 8 kHz WAV centred in ``num_samples``
    samples (zero-padded or cropped) and scaled to a peak of 0.9; text -> the string.
    Files are decoded on the fly by the dataset; every row is first checked eagerly.

    Args:
        manifest: a CSV path or a pandas DataFrame, one row per example.
        image_col, audio_col, text_col: columns of each modality used (at least one).
        label_col: the column of labels.
        labels: the classes, in order (label id = position); default: the sorted
            distinct labels of the manifest. A label not in ``labels`` is an error.
        root: folder relative paths start from (default: the CSV's folder, or the
            working directory for a DataFrame).
        on_error: ``"raise"``: a bad row raises ``ValueError`` naming the row (the
            DataFrame's index label; for a CSV, 0 is the first data row) and the file;
            ``"skip"``: bad rows are left out, and the count is printed and kept in
            ``dataset.manifest_report``. Never a silent drop.
        image_size, num_samples, sample_rate: as above; a WAV at another rate is a bad row.
        verbose: print the one-line report (always printed when rows are skipped).

    Returns:
        An unbatched dataset (call ``.batch(...)``) with attribute ``manifest_report``
        (:class:`ManifestReport`: kept and skipped rows, class names).

    Example:
        >>> ds = from_manifest("my_data/manifest.csv", image_col="image",
        ...                    audio_col="audio", label_col="label")  # doctest: +SKIP
        >>> model.fit(ds.batch(32), epochs=5)  # doctest: +SKIP
    """
    import pandas as pd
    import tensorflow as tf

    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    if isinstance(manifest, str | Path):
        base = Path(manifest).parent if root is None else Path(root)
        table = pd.read_csv(manifest)
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
    classes = tuple(sorted(table[label_col].dropna().unique())) if labels is None else tuple(labels)
    index = {c: i for i, c in enumerate(classes)}

    report = ManifestReport(rows=len(table), class_names=classes)
    values = {m: [] for m in columns}
    y = []
    for row, record in table.iterrows():
        try:
            if record[label_col] not in index:
                raise ValueError(f"unknown label {record[label_col]!r} (labels: {list(classes)})")
            paths = {}
            for modality, col in columns.items():
                value = record[col]
                if modality == "text":
                    paths[modality] = "" if pd.isna(value) else str(value)
                    continue
                # messages name the file as the manifest writes it (relative to ``root``)
                path, shown = base / str(value), str(value)
                if pd.isna(value) or not path.is_file():
                    raise ValueError(
                        f"missing file {shown} (relative to the manifest's folder or root=)"
                    )
                if modality == "image":
                    _check_image(path, shown)
                else:
                    _check_audio(path, sample_rate, shown)
                paths[modality] = str(path)
        except ValueError as exc:
            if on_error == "raise":
                raise ValueError(f"manifest row {row}: {exc}") from None
            report.skipped.append((int(row), f"row {row}: {exc}"))
            continue
        report.kept.append(int(row))
        for modality in columns:
            values[modality].append(paths[modality])
        y.append(index[record[label_col]])
    if verbose or report.skipped:
        print(report.summary())
    if not y:
        raise ValueError(f"no usable row in the manifest ({report.summary()})")
    tensors = {m: tf.constant(v, tf.string) for m, v in values.items()}
    ds = tf.data.Dataset.from_tensor_slices((tensors, tf.constant(np.asarray(y, np.int32))))
    ds = ds.map(_decoder(columns, tuple(image_size), num_samples), tf.data.AUTOTUNE,
                deterministic=True)  # fmt: skip
    ds.manifest_report = report
    return ds
