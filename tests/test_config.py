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


def test_data_home_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MMTUTOR_DATA", str(tmp_path))
    assert mmtutor.data_home() == tmp_path
    monkeypatch.delenv("MMTUTOR_DATA")
    assert mmtutor.data_home().parts[-2:] == (".cache", "mmtutor")


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
