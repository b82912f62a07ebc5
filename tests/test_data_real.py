"""Real-data loaders (FSDD, MNIST), AV-MNIST and from_manifest. No test uses the network:
downloads go through an injected opener or a server on 127.0.0.1. Tests that need the
real files read them from MMTUTOR_DATA and skip with a reason without it."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import tarfile
import threading
import urllib.error
import wave
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REAL_DATA_REASON, real_data_root
from mmtutor.data import (
    DatasetNotFoundError,
    HashMismatchError,
    build_avmnist,
    from_manifest,
    load_fsdd,
    load_mnist,
)
from mmtutor.data._download import download_file
from mmtutor.data.fsdd import FSDD_FILES, pad_or_crop

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def data_root() -> Path:
    root = real_data_root()
    if root is None:
        pytest.skip(REAL_DATA_REASON)
    return root


@pytest.fixture(autouse=True)
def _empty_cache(tmp_path, monkeypatch):
    """Every test gets an empty user cache, so nothing outside tmp_path is read or written."""
    monkeypatch.setenv("MMTUTOR_CACHE", str(tmp_path / "cache"))


# --- fake connections -------------------------------------------------------------------
class _Response(io.BytesIO):
    def __init__(self, payload: bytes, fail_after: int | None = None, length: int | None = None):
        super().__init__(payload)
        self.fail_after = fail_after
        self.headers = {"Content-Length": str(length)} if length is not None else {}

    def read(self, n=-1):
        if self.fail_after is not None and self.tell() >= self.fail_after:
            raise ConnectionResetError("connection reset by peer (simulated)")
        return super().read(min(n, 1024) if n and n > 0 else 1024)


class _Opener:
    """Serves ``files`` (url suffix -> bytes) and counts the calls."""

    def __init__(self, files: dict[str, bytes], fail_after: int | None = None):
        self.files, self.fail_after, self.calls = files, fail_after, []

    def __call__(self, url: str):
        self.calls.append(url)
        name = url.rsplit("/", 1)[-1]
        if name not in self.files:
            raise urllib.error.URLError("no network (simulated)")
        return _Response(self.files[name], self.fail_after)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _idx(array: np.ndarray) -> bytes:
    magic = 2051 if array.ndim == 3 else 2049
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _wav(path: Path, rate: int = 8000, n: int = 3000) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.sin(np.arange(n) / 5.0) * 8000).astype("<i2").tobytes())


# --- download_file ------------------------------------------------------------------------
def test_hash_mismatch_leaves_no_file(tmp_path):
    def check(path):
        raise HashMismatchError(path, "0" * 64, hashlib.sha256(path.read_bytes()).hexdigest())

    dest = tmp_path / "dl" / "file.gz"
    with pytest.raises(HashMismatchError, match=r"SHA-256 mismatch for .*expected 0{64}, got"):
        download_file("https://x/file.gz", dest, check, _Opener({"file.gz": b"x" * 5000}))
    assert _leftovers(tmp_path / "dl") == []


def test_interrupted_download_leaves_no_partial_file(tmp_path):
    opener = _Opener({"file.gz": b"x" * 50_000}, fail_after=20_000)
    with pytest.raises(ConnectionResetError):
        download_file("https://x/file.gz", tmp_path / "file.gz", None, opener)
    assert _leftovers(tmp_path) == []


class _DroppingHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # announces 100 kB, sends 10 kB, closes the connection
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"y" * 10_000)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


def test_connection_dropped_by_local_server_leaves_no_file(tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), _DroppingHandler)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/file.gz"
    try:
        with pytest.raises(OSError, match="ended early|IncompleteRead|Connection"):
            download_file(url, tmp_path / "file.gz")
    finally:
        thread.join(5)
        server.server_close()
    assert _leftovers(tmp_path) == []


# --- MNIST --------------------------------------------------------------------------------
def _fake_mnist(n=12):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 28, 28))
    labels = np.arange(n) % 10
    raw = {"train-images-idx3-ubyte.gz": _idx(images), "train-labels-idx1-ubyte.gz": _idx(labels)}
    files = {k: gzip.compress(v) for k, v in raw.items()}
    hashes = {k: hashlib.sha256(v).hexdigest() for k, v in raw.items()}
    return images, labels, files, hashes


def test_mnist_download_verifies_then_reuses_the_cache(tmp_path):
    images, labels, files, hashes = _fake_mnist()
    opener = _Opener(files)
    x, y = load_mnist("train", sha256=hashes, opener=opener)
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)
    assert len(opener.calls) == 2
    assert sorted(_leftovers(tmp_path / "cache")) == sorted(files)
    x2, _ = load_mnist("train", sha256=hashes, opener=opener)  # second call: the cache
    assert len(opener.calls) == 2
    np.testing.assert_array_equal(x2, images)


def test_mnist_download_with_a_wrong_hash_is_refused(tmp_path):
    _, _, files, hashes = _fake_mnist()
    hashes["train-labels-idx1-ubyte.gz"] = "f" * 64
    with pytest.raises(HashMismatchError, match="train-labels-idx1-ubyte.gz"):
        load_mnist("train", sha256=hashes, opener=_Opener(files))
    assert "train-labels-idx1-ubyte.gz" not in _leftovers(tmp_path / "cache")
    assert not [n for n in _leftovers(tmp_path / "cache") if n.endswith(".part")]


def test_mnist_without_recorded_hash_needs_one():
    _, _, files, _ = _fake_mnist()
    with pytest.raises(DatasetNotFoundError, match="no SHA-256 recorded.*pass sha256"):
        load_mnist("train", opener=_Opener(files))


def test_offline_without_cache_names_url_layout_and_variable(monkeypatch):
    monkeypatch.delenv("MMTUTOR_DATA", raising=False)
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist("test", opener=_Opener({}))
    message = str(info.value)
    assert "https://storage.googleapis.com/tensorflow/tf-keras-datasets/t10k-images" in message
    assert "mnist/t10k-labels-idx1-ubyte.gz" in message and "MMTUTOR_DATA" in message
    with pytest.raises(DatasetNotFoundError, match=r"(?s)fsdd/recordings/\{digit\}.*MMTUTOR_DATA"):
        load_fsdd(opener=_Opener({}))


def test_a_tampered_local_mnist_file_is_named(tmp_path):
    folder = tmp_path / "data" / "mnist"
    folder.mkdir(parents=True)
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx(np.zeros((2, 28, 28)))))
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx(np.zeros(2))))
    with pytest.raises(HashMismatchError, match="t10k-images-idx3-ubyte.gz: expected 0fa7898d"):
        load_mnist("test", root=tmp_path / "data")
    images, _ = load_mnist("test", root=tmp_path / "data", verify=False)
    assert images.shape == (2, 28, 28)


def test_bad_split_raises():
    with pytest.raises(ValueError, match="split must be one of"):
        load_mnist("validation")


def test_pad_or_crop_centres():
    np.testing.assert_array_equal(pad_or_crop(np.arange(1, 6, dtype="float32"), 3), [2, 3, 4])
    np.testing.assert_array_equal(pad_or_crop(np.ones(2, "float32"), 4), [0, 1, 1, 0])
    with pytest.raises(ValueError, match="waveform must be 1-D"):
        pad_or_crop(np.ones((2, 2)), 4)


# --- real data ----------------------------------------------------------------------------
def test_loaders_read_mmtutor_data_and_verify(data_root, monkeypatch):
    monkeypatch.setenv("MMTUTOR_DATA", str(data_root))
    images, labels = load_mnist("test", download=False)
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).min() > 800
    rec = load_fsdd(download=False)
    assert len(rec) == 3000 and rec.sample_rate == 8000
    assert sorted(set(rec.speaker)) == ["george", "jackson", "lucas", "nicolas", "theo", "yweweler"]
    assert rec.padded(4000).shape == (3000, 4000)


def _fsdd_archive(data_root: Path, tamper: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        for name in FSDD_FILES:
            content = (data_root / "fsdd" / "recordings" / name).read_bytes()
            if name == tamper:
                content = content[:-2] + b"\x00\x01"
            info = tarfile.TarInfo(f"free-spoken-digit-dataset-1.0.10/recordings/{name}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def test_fsdd_download_is_verified_per_recording(data_root, tmp_path):
    bad = _fsdd_archive(data_root, tamper="3_theo_7.wav")
    with pytest.raises(HashMismatchError, match="3_theo_7.wav"):
        load_fsdd(root=tmp_path / "d", opener=_Opener({"v1.0.10.tar.gz": bad}))
    assert _leftovers(tmp_path / "d") == []  # no recordings folder, no archive, no staging
    opener = _Opener({"v1.0.10.tar.gz": _fsdd_archive(data_root)})
    assert len(load_fsdd(root=tmp_path / "d", opener=opener)) == 3000
    assert len(load_fsdd(root=tmp_path / "d", opener=opener)) == 3000  # reused
    assert len(opener.calls) == 1
    assert len(_leftovers(tmp_path / "d")) == 3000


@pytest.fixture(scope="module")
def avmnist(data_root):
    return build_avmnist(data_root, seed=0, download=False)


def test_avmnist_shapes_and_pairing(avmnist):
    assert len(avmnist.train) + len(avmnist.val) + len(avmnist.test) == 10_000
    for split in (avmnist.train, avmnist.val, avmnist.test):
        assert split.x["image"].shape[1:] == (28, 28, 1) and split.x["image"].dtype == np.float32
        assert 0.0 <= split.x["image"].min() and split.x["image"].max() <= 1.0
        assert split.x["audio"].shape[1:] == (4000,) and split.x["audio"].dtype == np.float32
        spoken = np.array([int(name.split("_")[0]) for name in split.meta["recording"]])
        np.testing.assert_array_equal(spoken, split.y)  # never two different digits
    heard = [set(s.meta["recording"]) for s in (avmnist.train, avmnist.val, avmnist.test)]
    assert not (heard[0] & heard[1]) and not (heard[0] & heard[2]) and not (heard[1] & heard[2])
    seen = [set(s.meta["mnist_index"]) for s in (avmnist.train, avmnist.val, avmnist.test)]
    assert not (seen[0] & seen[2])


def test_avmnist_speaker_disjoint(data_root):
    data = build_avmnist(data_root, seed=1, speaker_disjoint=True, download=False)
    speakers = [set(s.meta["speaker"]) for s in (data.train, data.val, data.test)]
    assert not (speakers[0] & speakers[1]) and not (speakers[0] & speakers[2])
    assert not (speakers[1] & speakers[2])
    assert speakers[2] == set(data.split_speakers["test"])


def test_avmnist_bad_parameters(data_root):
    with pytest.raises(ValueError, match=r"image_energy must be in \(0, 1\]"):
        build_avmnist(data_root, image_energy=0.0, download=False)
    with pytest.raises(ValueError, match="fractions must be three positive numbers"):
        build_avmnist(data_root, fractions=(0.5, 0.5), download=False)


# --- from_manifest ------------------------------------------------------------------------
@pytest.fixture
def manifest(tmp_path):
    import tensorflow as tf

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
        (4, r"manifest row 4: cannot decode image .*broken.png"),
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
    assert float(np.max(np.abs(x["audio"]))) == pytest.approx(0.9, abs=1e-4)
    assert x["text"].numpy() == b"a cat"


def test_manifest_argument_errors(manifest):
    with pytest.raises(ValueError, match="give at least one of"):
        from_manifest(manifest)
    with pytest.raises(ValueError, match=r"columns \['pixels'\] not in the manifest"):
        from_manifest(manifest, image_col="pixels")
    with pytest.raises(ValueError, match="on_error must be"):
        from_manifest(manifest, image_col="image", on_error="ignore")


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


def test_write_wav_round_trips_through_decode_wav_and_checks_its_input(tmp_path):
    from mmtutor.data import decode_wav, write_wav

    x = np.sin(np.arange(1000) / 7.0) * 0.8
    write_wav(tmp_path / "a.wav", np.append(x, 3.0), sample_rate=16000)  # 3.0 is clipped to 1
    samples, rate = decode_wav((tmp_path / "a.wav").read_bytes(), "a.wav")
    assert rate == 16000 and samples.shape == (1001,)
    # 16-bit rounding (1/2 step) plus the 32767 vs 32768 scale of writing vs reading
    np.testing.assert_allclose(samples[:-1], x, atol=2 / 32767)
    assert samples[-1] == pytest.approx(32767 / 32768)
    with pytest.raises(ValueError, match=r"non-empty 1-D array, got shape \(2, 3\)"):
        write_wav(tmp_path / "b.wav", np.zeros((2, 3)))
    with pytest.raises(ValueError, match="sample_rate must be a positive integer"):
        write_wav(tmp_path / "b.wav", x, sample_rate=0)
