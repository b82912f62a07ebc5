import json
import os
import subprocess
import sys

import numpy as np
import pytest

import mmtutor
from mmtutor import config


def test_import_does_not_load_tensorflow():
    code = "import sys, mmtutor, mmtutor.data; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_setup_seeds_everything_and_prints_one_line(capsys):
    import tensorflow as tf

    mmtutor.setup(seed=3)
    first = (np.random.rand(3), tf.random.uniform((3,)).numpy())
    mmtutor.setup(seed=3)
    second = (np.random.rand(3), tf.random.uniform((3,)).numpy())
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == [lines[0]] * 2 and lines[0].startswith(
        "mmtutor.setup: seed=3, op determinism on"
    )
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "3"


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True, None])
def test_setup_rejects_bad_seed(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        mmtutor.setup(seed=seed)


@pytest.mark.parametrize("threads", [0, 65, 2.0])
def test_setup_rejects_bad_threads(threads):
    with pytest.raises(ValueError, match=r"threads must be an integer in \[1, 64\]"):
        mmtutor.setup(seed=0, threads=threads)


def test_setup_refuses_to_change_threads_after_tensorflow_ran():
    mmtutor.setup(seed=0)
    with pytest.raises(RuntimeError, match="must be set before TensorFlow runs its first op"):
        mmtutor.setup(seed=0, threads=1, verbose=False)


def test_data_home_is_the_loaders_cache(monkeypatch, tmp_path):
    # Before: data_home() returned $MMTUTOR_DATA while the loaders wrote to $MMTUTOR_CACHE.
    from mmtutor.data.download import candidate_roots

    monkeypatch.setenv("MMTUTOR_DATA", str(tmp_path / "mine"))
    monkeypatch.setenv("MMTUTOR_CACHE", str(tmp_path / "cache"))
    assert mmtutor.data_home() == tmp_path / "cache"
    assert candidate_roots(None) == [
        ("MMTUTOR_DATA", tmp_path / "mine"),  # read first
        ("user cache", tmp_path / "cache"),  # read next, and downloaded into
    ]
    monkeypatch.delenv("MMTUTOR_DATA")
    monkeypatch.delenv("MMTUTOR_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert mmtutor.data_home() == tmp_path / "home" / ".cache" / "mmtutor"
    assert candidate_roots(None) == [("user cache", tmp_path / "home" / ".cache" / "mmtutor")]


_SNAPSHOT = """
import json, os, sys
import numpy as np, matplotlib, tensorflow, keras
def snapshot():
    return {"env": dict(os.environ), "numpy": repr(np.get_printoptions()),
            "matplotlib": repr(sorted(matplotlib.rcParams.copy().items()))}
before = snapshot()
import mmtutor, mmtutor.config, mmtutor.data, mmtutor.preprocessing
import mmtutor.data.audio, mmtutor.data.avmnist, mmtutor.data.download, mmtutor.data.fsdd
import mmtutor.data.manifest, mmtutor.data.mnist, mmtutor.data.splits
after = snapshot()
changed = sorted(k for k in before if before[k] != after[k])
env = sorted(set(before["env"].items()) ^ set(after["env"].items()))
print(json.dumps({"changed": changed, "env": env}))
"""


def test_importing_the_package_changes_no_process_wide_setting():
    # Before: importing mmtutor.preprocessing set TF_ENABLE_ONEDNN_OPTS and TF_CPP_MIN_LOG_LEVEL.
    # TensorFlow, Keras and Matplotlib are imported first: only mmtutor's own imports count.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "MMTUTOR_"))}
    out = subprocess.run(
        [sys.executable, "-c", _SNAPSHOT], capture_output=True, text=True, env=env, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"changed": [], "env": []}


def test_setup_sets_the_tensorflow_variables_and_keeps_the_users(monkeypatch):
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "1")
    mmtutor.setup(seed=0, verbose=False, plot_style=False)
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == "0"
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "1"


def test_show_source_prints_the_definition(capsys):
    mmtutor.show_source(config.data_home)
    out = capsys.readouterr().out
    assert out.startswith("def data_home() -> Path:") and "MMTUTOR_DATA" in out


def test_show_source_rejects_objects_without_source():
    with pytest.raises(TypeError, match="show_source expects a function, class or module"):
        mmtutor.show_source(3)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        mmtutor.nope  # noqa: B018
