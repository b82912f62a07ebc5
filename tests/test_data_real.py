"""Real-data loaders (FSDD, MNIST), downloads, the data cache, AV-MNIST and WAV files.

No test uses the network: downloads go through an injected opener or a server on
127.0.0.1. Tests that need the real files read them from MMTUTOR_DATA and skip with a
reason without it."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import tarfile
import threading
import urllib.error
import wave
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from conftest import REAL_DATA_REASON, real_data_root
from mmtutor.data import (
    DatasetNotFoundError,
    HashMismatchError,
    build_avmnist,
    load_fsdd,
    load_mnist,
    pad_or_crop,
)
from mmtutor.data.download import download_file
from mmtutor.data.fsdd import FSDD_FILES

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


@pytest.mark.parametrize("cache_set", [True, False])
def test_downloads_go_to_data_home_and_never_to_mmtutor_data(tmp_path, monkeypatch, cache_set):
    # Before: data_home() returned $MMTUTOR_DATA while the loaders wrote to $MMTUTOR_CACHE.
    import mmtutor

    monkeypatch.setenv("MMTUTOR_DATA", str(tmp_path / "mine"))  # read first, never written
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if cache_set:
        monkeypatch.setenv("MMTUTOR_CACHE", str(tmp_path / "cache"))
        expected = tmp_path / "cache"
    else:
        monkeypatch.delenv("MMTUTOR_CACHE", raising=False)
        expected = tmp_path / "home" / ".cache" / "mmtutor"
    _, _, files, hashes = _fake_mnist()
    load_mnist("train", sha256=hashes, opener=_Opener(files))
    assert mmtutor.data_home() == expected
    assert sorted(_leftovers(expected / "mnist")) == sorted(files)
    assert not (tmp_path / "mine").exists()


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


def test_two_fsdd_downloads_into_one_folder_at_once_both_succeed(data_root, tmp_path):
    # Before: both used the archive name .fsdd-v1.0.10.tar.gz, and the loader that renamed
    # its recordings second failed; now each has its own temporary files.
    archive = _fsdd_archive(data_root)
    barrier = threading.Barrier(2, timeout=60)

    class _BothAtOnce(_Opener):
        def __call__(self, url):
            response = super().__call__(url)
            barrier.wait()  # neither loader goes on before both have started downloading
            return response

    opener = _BothAtOnce({"v1.0.10.tar.gz": archive})
    outcomes: list = []

    def load():
        try:
            outcomes.append(len(load_fsdd(root=tmp_path / "d", opener=opener)))
        except Exception as exc:  # reported by the assertion below
            outcomes.append(exc)

    threads = [threading.Thread(target=load) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert outcomes == [3000, 3000] and len(opener.calls) == 2
    assert sorted(p.name for p in (tmp_path / "d" / "fsdd").iterdir()) == ["recordings"]
    assert len(_leftovers(tmp_path / "d")) == 3000  # no temporary archive or folder left


@pytest.fixture(scope="module")
def avmnist(data_root):
    # one build (the slowest step of this file) serves the shape and the speaker tests
    return build_avmnist(data_root, seed=1, speaker_disjoint=True, download=False)


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


def test_avmnist_speaker_disjoint(avmnist):
    data = avmnist
    speakers = [set(s.meta["speaker"]) for s in (data.train, data.val, data.test)]
    assert not (speakers[0] & speakers[1]) and not (speakers[0] & speakers[2])
    assert not (speakers[1] & speakers[2])
    assert speakers[2] == set(data.split_speakers["test"])


def test_avmnist_bad_parameters(data_root):
    with pytest.raises(ValueError, match=r"image_energy must be in \(0, 1\]"):
        build_avmnist(data_root, image_energy=0.0, download=False)
    with pytest.raises(ValueError, match="fractions must be three positive numbers"):
        build_avmnist(data_root, fractions=(0.5, 0.5), download=False)


def _fake_sources(monkeypatch, silent_digit: int, n_images: int = 300):
    """Replace MNIST and FSDD by small random stand-ins (6 speakers x 10 digits x 10 takes);
    every recording of ``silent_digit`` is silence."""
    from mmtutor.data import FSDDRecordings
    from mmtutor.data import avmnist as avmnist_module

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n_images, 28, 28)).astype(np.uint8)
    labels = (np.arange(n_images) % 10).astype(np.int32)
    keys = [(d, s, t) for d in range(10) for s in ("ann", "bob", "cy", "di", "ed", "flo")
            for t in range(10)]  # fmt: skip
    waves = np.empty(len(keys), dtype=object)
    for i, (d, _, _) in enumerate(keys):
        w = rng.normal(size=int(rng.integers(3000, 6000))).astype(np.float32) * 0.1
        waves[i] = np.zeros_like(w) if d == silent_digit else w
    rec = FSDDRecordings(
        waveforms=waves,
        digit=np.array([k[0] for k in keys], np.int32),
        speaker=np.array([k[1] for k in keys], dtype=object),
        take=np.array([k[2] for k in keys], np.int32),
        file=np.array([f"{d}_{s}_{t}.wav" for d, s, t in keys], dtype=object),
    )
    monkeypatch.setattr(avmnist_module, "load_mnist", lambda *a, **k: (images, labels))
    monkeypatch.setattr(avmnist_module, "load_fsdd", lambda *a, **k: rec)


def test_avmnist_keeps_a_silent_recording_silent(monkeypatch):
    # Before: the peak scaling divided by the peak of the clip: 0 / 0 = NaN.
    _fake_sources(monkeypatch, silent_digit=3)
    data = build_avmnist(seed=0, download=False)
    for split in (data.train, data.val, data.test):
        audio = split.x["audio"]
        assert np.isfinite(audio).all()
        np.testing.assert_array_equal(audio[split.y == 3], 0.0)
        np.testing.assert_allclose(np.abs(audio[split.y != 3]).max(axis=1), 0.9, rtol=1e-6)


def test_avmnist_splits_images_by_digit_and_recordings_by_digit_and_speaker(monkeypatch):
    _fake_sources(monkeypatch, silent_digit=-1, n_images=1000)
    data = build_avmnist(seed=0, download=False)
    splits = (data.train, data.val, data.test)
    # 100 images per digit: 70 / 15 / 15
    for split, n in zip(splits, (70, 15, 15), strict=True):
        assert np.bincount(split.y, minlength=10).tolist() == [n] * 10
    # 10 takes of each digit by each speaker: 7 / 1 / 2 (cuts at round(7) and round(8.5));
    # every split has more images of a digit than recordings, so all of them are heard
    for split, n in zip(splits, (7, 1, 2), strict=True):
        pairs = Counter(r.rsplit("_", 1)[0] for r in set(split.meta["recording"]))
        assert len(pairs) == 60 and set(pairs.values()) == {n}


def test_pca_degrade_matches_a_brute_force_reconstruction():
    from mmtutor.data.avmnist import pca_degrade

    rng = np.random.default_rng(1)
    train = rng.uniform(size=(40, 3, 3)) * np.linspace(0.2, 1.0, 9).reshape(3, 3)
    other = rng.uniform(size=(7, 3, 3))
    flat = train.reshape(40, -1)
    mean = flat.mean(axis=0)
    eigvals, eigvecs = np.linalg.eigh(np.cov(flat - mean, rowvar=False))
    eigvals, eigvecs = eigvals[::-1], eigvecs[:, ::-1]
    share = np.cumsum(eigvals) / eigvals.sum()
    for energy in (0.3, 0.6, 0.9, 1.0):
        k = 9 if energy == 1.0 else int(np.argmax(share > energy)) + 1  # fewest with share > energy
        basis = eigvecs[:, :k]
        (got_train, got_other), got_k = pca_degrade(train, [other], energy)
        assert got_k == k
        for images, got in ((train, got_train), (other, got_other)):
            z = images.reshape(len(images), -1) - mean
            want = np.clip(mean + z @ basis @ basis.T, 0.0, 1.0).reshape(images.shape)
            np.testing.assert_allclose(got, want, atol=1e-6)
    with pytest.raises(ValueError, match=r"image_energy must be in \(0, 1\], got 0"):
        pca_degrade(train, [other], 0)
    with pytest.raises(ValueError, match=r"others must have images of shape \(3, 3\)"):
        pca_degrade(train, [np.zeros((2, 4, 4))], 0.5)


# --- WAV files -----------------------------------------------------------------------------
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


def test_decode_wav_mixes_every_channel_and_rejects_other_sample_widths(tmp_path):
    from mmtutor.data import decode_wav

    frames = np.array([[3000, -1000, 4000], [600, 600, 600]], "<i2")  # 2 frames, 3 channels
    with wave.open(str(tmp_path / "three.wav"), "wb") as f:
        f.setnchannels(3)
        f.setsampwidth(2)
        f.setframerate(8000)
        f.writeframes(frames.tobytes())
    samples, rate = decode_wav((tmp_path / "three.wav").read_bytes(), "three.wav")
    np.testing.assert_allclose(samples, [2000 / 32768, 600 / 32768], rtol=1e-6)  # the mean
    with wave.open(str(tmp_path / "byte.wav"), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(1)
        f.setframerate(8000)
        f.writeframes(bytes(range(100)))
    with pytest.raises(ValueError, match="byte.wav: expected 16-bit PCM, got 8-bit samples"):
        decode_wav((tmp_path / "byte.wav").read_bytes(), "byte.wav")
    with pytest.raises(TypeError, match="content must be the bytes of a WAV file, got str"):
        decode_wav("three.wav", "three.wav")


def test_scale_to_peak_keeps_silence_silent_and_checks_its_input():
    from mmtutor.data import scale_to_peak

    x = np.array([[0.0, 0.2, -0.4], [0.0, 0.0, 0.0], [1.0, -3.0, 1.5]], np.float32)
    got = scale_to_peak(x)
    np.testing.assert_allclose(got, [[0, 0.45, -0.9], [0, 0, 0], [0.3, -0.9, 0.45]], rtol=1e-6)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(scale_to_peak(np.zeros(5, np.float32)), 0.0)
    with pytest.raises(ValueError, match="waveforms must be finite"):
        scale_to_peak(np.array([0.1, np.nan]))
    with pytest.raises(ValueError, match="waveforms must be a float array"):
        scale_to_peak(np.array([1, 2]))


def test_waveform_from_wav_centres_scales_and_checks_the_rate(tmp_path):
    from mmtutor.data import write_wav
    from mmtutor.data.audio import waveform_from_wav

    write_wav(tmp_path / "a.wav", np.array([0.1, -0.5, 0.25]), sample_rate=16000)
    content = (tmp_path / "a.wav").read_bytes()
    got = waveform_from_wav(content, "a.wav", num_samples=5, sample_rate=16000)
    want = np.round(np.array([0, 0.1, -0.5, 0.25, 0]) * 32767) / 32768  # 16-bit, as read
    np.testing.assert_allclose(got, want * 0.9 / np.abs(want).max(), rtol=1e-6)
    with pytest.raises(ValueError, match=r"a.wav has 16000 Hz, expected 8000 Hz"):
        waveform_from_wav(content, "a.wav")
