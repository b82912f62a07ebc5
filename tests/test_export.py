"""Export for serving (notebook 16): the token model shares the trained weights, the
SavedModel reloaded in a fresh process predicts what the model in memory predicts from raw
strings and waveforms, and malformed raw inputs give clear errors."""

import inspect
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from mmtutor import scaling
from mmtutor.data import load_mmdigits
from mmtutor.encoders import build_encoder
from mmtutor.models import build_fusion_model


@pytest.fixture(scope="module")
def models():
    data = load_mmdigits(seed=0)
    keras.utils.set_random_seed(0)
    model = build_fusion_model([build_encoder(m, data.train) for m in ("image", "audio", "text")])
    vectorizer, token_model = scaling.split_text_vectorizer(model)
    x = {m: data.test.x[m][:40] for m in ("image", "audio", "text")}
    return model, vectorizer, token_model, x


@pytest.fixture(scope="module")
def exported(models, tmp_path_factory):
    _, vectorizer, token_model, _ = models
    serving = scaling.build_serving_model(token_model, vectorizer)
    path = tmp_path_factory.mktemp("export") / "served"
    serving.export(str(path), format="tf_saved_model", verbose=False)
    return serving, path


def test_the_token_model_shares_the_weights(models):
    model, vectorizer, token_model, x = models
    tokens = {**x, "text": vectorizer(x["text"]).numpy()}
    np.testing.assert_array_equal(
        model.predict(x, verbose=0), token_model.predict(tokens, verbose=0)
    )
    # one weight changed in the full model is changed in the token model
    dense = model.get_layer("logits")
    dense.bias.assign(dense.bias + 1.0)
    np.testing.assert_array_equal(
        model.predict(x, verbose=0), token_model.predict(tokens, verbose=0)
    )
    dense.bias.assign(dense.bias - 1.0)
    assert {t.name: t.dtype for t in token_model.inputs}["text"] == "int64"


def test_a_vectorizer_shared_by_two_models_splits_from_either():
    from mmtutor.encoders import build_image_encoder, build_text_encoder
    from mmtutor.preprocessing import make_text_vectorizer

    data = load_mmdigits(seed=0)
    vectorizer = make_text_vectorizer(data.train.x["text"])
    models = [build_fusion_model([build_image_encoder(), build_text_encoder(vectorizer)])
              for _ in range(2)]  # fmt: skip
    x = {m: data.test.x[m][:8] for m in ("image", "text")}
    for model in models:
        shared, token_model = scaling.split_text_vectorizer(model)
        assert shared is vectorizer
        tokens = {**x, "text": vectorizer(x["text"]).numpy()}
        np.testing.assert_array_equal(
            model.predict(x, verbose=0), token_model.predict(tokens, verbose=0)
        )


def test_split_rejects_a_model_without_text():
    data = load_mmdigits(seed=0)
    model = build_fusion_model([build_encoder(m, data.train) for m in ("image", "audio")])
    with pytest.raises(ValueError, match="no 'text' input"):
        scaling.split_text_vectorizer(model)
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        scaling.split_text_vectorizer("model")


def test_a_fresh_process_predicts_what_memory_predicts(models, exported):
    model, _, _, x = models
    serving, path = exported
    expected = keras.ops.convert_to_numpy(model(x, training=False))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(serving(x, training=False)), expected)
    fresh = scaling.predict_in_fresh_process(path, x)
    assert fresh.shape == (40, 10)
    np.testing.assert_allclose(fresh, expected, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(fresh.argmax(axis=1), expected.argmax(axis=1))
    assert scaling.folder_size(path) > 0
    with pytest.raises(ValueError, match="not a SavedModel folder"):
        scaling.predict_in_fresh_process(path.parent, x)


def _serve(path, x):
    served = tf.saved_model.load(str(path))
    return served.serve({k: tf.constant(v) for k, v in x.items()})


def test_malformed_raw_inputs_give_clear_errors(models, exported):
    _, _, _, x = models
    _, path = exported
    x = {**x, "text": x["text"].astype(str)}
    pcm = (x["audio"] * 32767).astype("int16")  # samples as a WAV file stores them
    with pytest.raises(
        TypeError, match=r"dtype=tf.int16.*to TensorSpec\(shape=\(None, 4000\), dtype=tf.float32"
    ):
        _serve(path, {**x, "audio": pcm})
    with pytest.raises(TypeError, match=r"shape=\(40, 3000\).*shape=\(None, 4000\)"):
        _serve(path, {**x, "audio": x["audio"][:, :3000]})
    texts = x["text"].copy()
    texts[3] = ""
    with pytest.raises(
        tf.errors.InvalidArgumentError, match="every caption must be a non-empty string"
    ):
        _serve(path, {**x, "text": texts})
    texts[3] = "   "
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"batch positions\] \[3\]"):
        _serve(path, {**x, "text": texts})


def test_require_text_saves_and_copies(tmp_path):
    inputs = keras.Input(shape=(), dtype="string", name="text")
    model = keras.Model(inputs, scaling.RequireText(name="check")(inputs))
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    assert again(tf.constant(["a b"])).numpy().tolist() == [b"a b"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="check: every caption"):
        again(tf.constant(["", "x"]))
    # its shown source runs with keras, numpy and tensorflow (keras.ops has no string ops)
    source = textwrap.dedent(inspect.getsource(scaling.RequireText))
    source = source.replace('@keras.saving.register_keras_serializable(package="mmtutor")\n', "")
    namespace = {}
    exec("import keras\nimport numpy as np\nimport tensorflow as tf\n" + source, namespace)
    layer = namespace["RequireText"]()
    assert layer(tf.constant(["x"])).numpy().tolist() == [b"x"]
    with pytest.raises(tf.errors.InvalidArgumentError):
        layer(tf.constant([""]))


def test_litert_runs_the_token_model(models, tmp_path):
    _, vectorizer, token_model, x = models
    tokens = {**x, "text": vectorizer(x["text"]).numpy()}
    path = tmp_path / "model.tflite"
    token_model.export(str(path), format="litert", verbose=False)
    got = scaling.litert_predict(path, tokens, batch_size=16)
    np.testing.assert_allclose(got, token_model.predict(tokens, verbose=0), atol=1e-4)
    with pytest.raises(ValueError, match="the model takes"):
        scaling.litert_predict(path, {"image": x["image"]})


def test_measure_latency_and_sizes(tmp_path):
    calls = []
    seconds = scaling.measure_latency(lambda b: calls.append(len(b["a"])), {"a": np.ones((9, 2))},
                                      batch_size=4, repeats=5)  # fmt: skip
    assert calls == [4] * 6 and seconds >= 0
    with pytest.raises(ValueError, match="fewer than batch_size=64"):
        scaling.measure_latency(lambda b: None, {"a": np.ones((9, 2))}, batch_size=64)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "f").write_bytes(b"x" * 7)
    (tmp_path / "g").write_bytes(b"x" * 3)
    assert scaling.folder_size(tmp_path) == 10 and scaling.folder_size(tmp_path / "g") == 3
