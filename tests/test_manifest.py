"""from_manifest: the row check, the pipeline, and that both decode every file alike.

Test images are written with TensorFlow's encoders (PNG, JPEG) and Pillow (GIF, BMP;
Pillow is installed with Matplotlib). Expected grey values are computed by hand with the
ITU-R BT.601 weights that ``tf.image.rgb_to_grayscale`` documents (0.2989, 0.5870, 0.1140).
"""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmtutor.data import from_manifest
from mmtutor.data import manifest as manifest_module

tf = pytest.importorskip("tensorflow")
Image = pytest.importorskip("PIL.Image")

LUMA = np.array([0.2989, 0.5870, 0.1140])
RGB = (200, 40, 120)  # a colour whose grey value differs between weightings
GREY_OF_RGB = float(LUMA @ RGB) / 255


def _wav(path: Path, rate: int = 8000, n: int = 3000, channels: list | None = None) -> None:
    """A 16-bit PCM WAV: a sine by default, or the given int16 channels interleaved."""
    data = np.stack(channels, axis=1) if channels else (np.sin(np.arange(n) / 5.0) * 8000)[:, None]
    with wave.open(str(path), "wb") as w:
        w.setnchannels(data.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.astype("<i2").tobytes())


def _constant(channels: int, value) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, np.uint8), (6, 5, channels)).copy()


def _write_images(folder: Path) -> dict[str, float]:
    """One file per format and channel layout -> its expected grey value in [0, 1]."""
    rgb = _constant(3, RGB)
    files = {
        "grey.png": (tf.io.encode_png(_constant(1, 90)), 90 / 255),
        "grey_alpha.png": (tf.io.encode_png(_constant(2, (90, 10))), 90 / 255),
        "rgb.png": (tf.io.encode_png(rgb), GREY_OF_RGB),
        "rgba.png": (tf.io.encode_png(_constant(4, (*RGB, 30))), GREY_OF_RGB),
        "rgb.jpg": (tf.io.encode_jpeg(rgb, quality=100), GREY_OF_RGB),
    }
    for name, (encoded, _) in files.items():
        (folder / name).write_bytes(encoded.numpy())
    Image.fromarray(rgb).save(folder / "rgb.gif")
    Image.fromarray(rgb).save(folder / "rgb.bmp")
    Image.fromarray(_constant(4, (*RGB, 30))).save(folder / "rgba.bmp")
    expected = {name: grey for name, (_, grey) in files.items()}
    expected.update({"rgb.gif": GREY_OF_RGB, "rgb.bmp": GREY_OF_RGB, "rgba.bmp": GREY_OF_RGB})
    return expected


def test_every_image_format_and_layout_is_read_as_grey_by_check_and_pipeline(tmp_path):
    # Before: GIF and BMP rows passed the check and failed at their first element in the
    # pipeline ("channels must be 0 or 3 for GIF"); RGBA went through libpng's own weights.
    expected = _write_images(tmp_path)
    table = pd.DataFrame({"image": list(expected), "label": ["a"] * len(expected)})
    ds = from_manifest(table, image_col="image", root=tmp_path, image_size=(4, 4), verbose=False)
    assert ds.manifest_report.kept == list(range(len(expected)))
    got = [x["image"].numpy() for x, _ in ds]
    for (name, grey), image in zip(expected.items(), got, strict=True):
        assert image.shape == (4, 4, 1) and image.dtype == np.float32
        tolerance = 2.5 / 255 if name.endswith(".jpg") else 1e-5  # JPEG's colour rounding
        np.testing.assert_allclose(image, grey, atol=tolerance, err_msg=name)


def test_png_gif_bmp_jpeg_manifest_is_kept_whole_and_iterates(tmp_path, capsys):
    # the reported failure: "kept 4 of 4 rows", then an error at the second element
    _write_images(tmp_path)
    table = pd.DataFrame(
        {"image": ["rgb.png", "rgb.gif", "rgb.bmp", "rgb.jpg"], "label": ["a", "b", "a", "b"]}
    )
    table.to_csv(tmp_path / "manifest.csv", index=False)
    ds = from_manifest(tmp_path / "manifest.csv", image_col="image")
    assert "kept 4 of 4 rows" in capsys.readouterr().out
    labels = [int(y) for _, y in ds]
    assert labels == [0, 1, 0, 1]


def test_rgba_pixels_follow_the_luma_weights_and_ignore_alpha(tmp_path):
    rgba = np.random.default_rng(0).integers(0, 256, (6, 5, 4), dtype=np.uint8)
    png = tf.io.encode_png(rgba).numpy()
    got = manifest_module.image_from_bytes(png, image_size=(6, 5)).numpy()[..., 0]
    np.testing.assert_allclose(got, rgba[..., :3] @ LUMA / 255, atol=1e-5)
    rgba[..., 3] = 255 - rgba[..., 3]  # another alpha channel: the same grey image
    again = manifest_module.image_from_bytes(tf.io.encode_png(rgba).numpy(), (6, 5)).numpy()
    np.testing.assert_array_equal(again[..., 0], got)


def test_stereo_wav_is_the_mean_of_its_channels_in_check_and_pipeline(tmp_path):
    # Before: the check averaged the channels and the pipeline took the first one.
    t = np.arange(3000)
    left = np.round(np.sin(t / 5.0) * 12000)
    right = np.round(np.sin(t / 3.0 + 1.0) * 6000)
    _wav(tmp_path / "stereo.wav", channels=[left, right])
    table = pd.DataFrame({"audio": ["stereo.wav"], "label": ["a"]})
    ds = from_manifest(table, audio_col="audio", root=tmp_path, num_samples=4000, verbose=False)
    (x, _), *_ = list(ds)
    mono = (left + right) / 2 / 32768  # by hand: mix, centre in 4,000 samples, peak 0.9
    want = np.zeros(4000)
    want[500:3500] = mono
    want *= 0.9 / np.abs(mono).max()
    np.testing.assert_allclose(x["audio"].numpy(), want, atol=1e-6)


def test_pipeline_elements_equal_what_the_check_decoded(tmp_path, monkeypatch):
    expected = _write_images(tmp_path)
    t = np.arange(5000)
    _wav(tmp_path / "stereo.wav", n=5000, channels=[np.sin(t / 4) * 9000, np.cos(t / 7) * 3000])
    _wav(tmp_path / "mono.wav", n=2500)
    names = list(expected)
    audio = ["stereo.wav", "mono.wav"] * len(names)
    table = pd.DataFrame(
        {"image": names, "audio": audio[: len(names)], "label": ["a"] * len(names)}
    )
    checked = {"image": [], "audio": []}

    def spy(kind, function):
        def wrapper(*args, **kwargs):
            out = function(*args, **kwargs)
            if tf.executing_eagerly() and not recording_done:
                checked[kind].append(np.asarray(out))
            return out

        return wrapper

    recording_done = False
    monkeypatch.setattr(
        manifest_module, "image_from_bytes", spy("image", manifest_module.image_from_bytes)
    )
    monkeypatch.setattr(
        manifest_module, "waveform_from_wav", spy("audio", manifest_module.waveform_from_wav)
    )
    ds = from_manifest(table, "image", "audio", root=tmp_path, verbose=False)
    recording_done = True  # what the check decoded, one per kept row and modality
    assert len(checked["image"]) == len(checked["audio"]) == len(names)
    for i, (x, _) in enumerate(ds):
        np.testing.assert_array_equal(x["image"].numpy(), checked["image"][i])
        np.testing.assert_array_equal(x["audio"].numpy(), checked["audio"][i])


def test_string_index_labels_are_kept_as_row_names(tmp_path):
    # Before: int(row) crashed on a DataFrame with a string index.
    _write_images(tmp_path)
    table = pd.DataFrame(
        {"image": ["grey.png", "gone.png", "rgb.png"], "label": ["a", "a", "b"]},
        index=["first", "second", "third"],
    )
    ds = from_manifest(table, image_col="image", root=tmp_path, on_error="skip", verbose=False)
    assert ds.manifest_report.kept == ["first", "third"]
    assert [row for row, _ in ds.manifest_report.skipped] == ["second"]
    with pytest.raises(ValueError, match=r"manifest row 'second': missing file gone.png"):
        from_manifest(table, image_col="image", root=tmp_path, verbose=False)


def test_integer_looking_labels_are_compared_as_text(tmp_path):
    # Before: a CSV column read as integers never matched labels=["0", ..., "9"].
    _write_images(tmp_path)
    table = pd.DataFrame({"image": ["grey.png", "rgb.png", "rgb.gif"], "label": [3, 7, 10]})
    table.to_csv(tmp_path / "manifest.csv", index=False)
    as_text = [str(d) for d in range(11)]
    for labels in (as_text, list(range(11))):
        ds = from_manifest(tmp_path / "manifest.csv", image_col="image", labels=labels,
                           verbose=False)  # fmt: skip
        assert [int(y) for _, y in ds] == [3, 7, 10]
    ds = from_manifest(table, image_col="image", labels=as_text, root=tmp_path, verbose=False)
    assert [int(y) for _, y in ds] == [3, 7, 10]
    default = from_manifest(tmp_path / "manifest.csv", image_col="image", verbose=False)
    assert default.manifest_report.class_names == ("3", "7", "10")  # as numbers, not text
    with pytest.raises(ValueError, match=r"unknown label '10' \(labels: \['0', '1'"):
        from_manifest(table, image_col="image", labels=as_text[:10], root=tmp_path, verbose=False)
    with pytest.raises(ValueError, match="labels must be distinct as text"):
        from_manifest(table, image_col="image", labels=[1, "1"], root=tmp_path, verbose=False)


def test_a_file_that_cannot_be_read_is_a_bad_row(tmp_path, monkeypatch):
    # Before: the PermissionError escaped on_error="skip". Simulated, so that it also
    # runs as root (where chmod 000 does not stop reading).
    _wav(tmp_path / "ok.wav")
    _wav(tmp_path / "locked.wav")
    read_bytes = Path.read_bytes

    def refuse(self):
        if self.name == "locked.wav":
            raise PermissionError(13, "Permission denied", str(self))
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    table = pd.DataFrame({"audio": ["ok.wav", "locked.wav"], "label": ["a", "b"]})
    ds = from_manifest(table, audio_col="audio", root=tmp_path, on_error="skip", verbose=False)
    assert ds.manifest_report.kept == [0]
    assert (
        "cannot read locked.wav (PermissionError: Permission denied)"
        in (ds.manifest_report.skipped[0][1])
    )
    with pytest.raises(ValueError, match=r"manifest row 1: cannot read locked.wav"):
        from_manifest(table, audio_col="audio", root=tmp_path, verbose=False)


def test_a_file_without_read_permission_is_a_bad_row(tmp_path):
    _write_images(tmp_path)
    locked = tmp_path / "rgb.png"
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):
            pytest.skip("chmod 000 does not stop this user from reading (root)")
        table = pd.DataFrame({"image": ["grey.png", "rgb.png"], "label": ["a", "b"]})
        ds = from_manifest(table, image_col="image", root=tmp_path, on_error="skip",
                           verbose=False)  # fmt: skip
        assert ds.manifest_report.kept == [0]
        assert "cannot read rgb.png (PermissionError" in ds.manifest_report.skipped[0][1]
    finally:
        locked.chmod(0o644)


# --- bad rows, messages, arguments (moved from test_data_real.py) ------------------------
@pytest.fixture
def manifest(tmp_path):
    tf.io.write_file(str(tmp_path / "ok.png"), tf.io.encode_png(tf.zeros((20, 24, 3), tf.uint8)))
    (tmp_path / "broken.png").write_bytes(b"not a png")
    _wav(tmp_path / "ok.wav", n=5000)
    _wav(tmp_path / "fast.wav", rate=16000)
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF\x00\x00")
    table = pd.DataFrame(
        {
            "image": ["ok.png", "ok.png", "ok.png", "missing.png", "broken.png", "ok.png"],
            "audio": ["ok.wav", "corrupt.wav", "fast.wav", "ok.wav", "ok.wav", "ok.wav"],
            "text": ["a cat", "b", "c", "d", "e", "f"],
            "label": ["cat", "cat", "dog", "dog", "cat", "eel"],
        }
    )
    table.to_csv(tmp_path / "manifest.csv", index=False)
    return tmp_path / "manifest.csv"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (1, r"manifest row 1: .*corrupt.wav is not a readable WAV file"),
        (2, r"manifest row 2: .*fast.wav has 16000 Hz, expected 8000 Hz"),
        (3, r"manifest row 3: missing file .*missing.png"),
        (4, r"manifest row 4: cannot decode image broken.png: Unknown image file format"),
        (5, r"manifest row 5: unknown label 'eel'"),
    ],
)
def test_manifest_bad_row_raises_naming_it(manifest, row, message):
    table = pd.read_csv(manifest).iloc[[0, row]]
    with pytest.raises(ValueError, match=message):
        from_manifest(table, "image", "audio", label_col="label", labels=["cat", "dog"],
                      root=manifest.parent, verbose=False)  # fmt: skip


def test_manifest_skip_reports_the_count(manifest, capsys):
    ds = from_manifest(manifest, "image", "audio", "text", labels=["cat", "dog"], on_error="skip")
    report = ds.manifest_report
    assert report.kept == [0] and report.num_skipped == 5
    assert [row for row, _ in report.skipped] == [1, 2, 3, 4, 5]
    assert "kept 1 of 6 rows, skipped 5" in capsys.readouterr().out
    (x, y), *rest = list(ds)
    assert not rest and int(y) == 0
    assert tuple(x["image"].shape) == (28, 28, 1) and tuple(x["audio"].shape) == (4000,)
    assert float(np.max(np.abs(x["audio"]))) == pytest.approx(0.9, abs=1e-6)
    assert x["text"].numpy() == b"a cat"


def test_manifest_argument_errors(manifest):
    with pytest.raises(ValueError, match="give at least one of"):
        from_manifest(manifest)
    with pytest.raises(ValueError, match=r"columns \['pixels'\] not in the manifest"):
        from_manifest(manifest, image_col="pixels")
    with pytest.raises(ValueError, match="on_error must be"):
        from_manifest(manifest, image_col="image", on_error="ignore")
    with pytest.raises(ValueError, match=r"image_size must be positive integers, got \(28, 0\)"):
        from_manifest(manifest, image_col="image", image_size=(28, 0))
    with pytest.raises(TypeError, match="manifest must be a CSV path or a DataFrame, got list"):
        from_manifest([], image_col="image")


def test_manifest_rejects_a_wav_cut_off_inside_its_data(manifest):
    whole = (manifest.parent / "ok.wav").read_bytes()
    (manifest.parent / "cut.wav").write_bytes(whole[:2000])  # header intact, data cut short
    table = pd.DataFrame({"audio": ["ok.wav", "cut.wav"], "label": ["cat", "dog"]})
    with pytest.raises(ValueError, match=r"manifest row 1: cut.wav is truncated or empty"):
        from_manifest(table, audio_col="audio", root=manifest.parent, verbose=False)
    (manifest.parent / "empty.wav").write_bytes(whole[:44])  # a header and no samples
    table = pd.DataFrame({"audio": ["empty.wav", "ok.wav"], "label": ["cat", "dog"]})
    ds = from_manifest(table, audio_col="audio", root=manifest.parent, on_error="skip",
                       verbose=False)  # fmt: skip
    assert ds.manifest_report.kept == [1]
    assert "empty.wav is truncated or empty" in ds.manifest_report.skipped[0][1]


def test_manifest_messages_show_paths_as_written(manifest):
    table = pd.DataFrame({"image": ["ok.png", "sub/missing.png"], "label": ["cat", "dog"]})
    with pytest.raises(ValueError) as info:
        from_manifest(table, image_col="image", root=manifest.parent, verbose=False)
    assert "missing file sub/missing.png" in str(info.value)
    assert str(manifest.parent) not in str(info.value)  # no machine-specific folder


def test_empty_cells_are_bad_rows_not_files_named_nan(manifest):
    (manifest.parent / "blank.csv").write_text("image,label\nok.png,cat\n,dog\nok.png,\n")
    ds = from_manifest(manifest.parent / "blank.csv", image_col="image", on_error="skip",
                       verbose=False)  # fmt: skip
    assert ds.manifest_report.kept == [0]
    reasons = [reason for _, reason in ds.manifest_report.skipped]
    assert reasons == [
        "row 1: no image file (empty cell in column 'image')",
        "row 2: no label (empty cell in column 'label')",
    ]
