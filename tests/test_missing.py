"""Missing-modality machinery: MaskMissing, ModalityDropout, is_present, the
``modality_dropout``/``missing`` options of the model builders, attach_front_ends."""

import numpy as np
import pytest

from mmtutor.config import setup

setup(seed=0, verbose=False)

import keras  # noqa: E402

from mmtutor.encoders import build_vector_encoder  # noqa: E402
from mmtutor.fusion import MaskMissing, ModalityDropout, is_present  # noqa: E402
from mmtutor.models import attach_front_ends, build_fusion_model, build_late_fusion  # noqa: E402


def _encoders(dims=(5, 3)):
    return [build_vector_encoder(d, f"m{i}", embedding_dim=4) for i, d in enumerate(dims)]


def _batch(n=6, dims=(5, 3), seed=0):
    rng = np.random.default_rng(seed)
    return {f"m{i}": rng.normal(size=(n, d)).astype("float32") for i, d in enumerate(dims)}


def test_is_present_numeric_and_text():
    x = np.array([[0.0, 0.0], [0.0, 1e-3]])
    assert is_present(x).tolist() == [False, True]
    assert is_present(np.array(["", "seven"], dtype=object)).tolist() == [False, True]
    with pytest.raises(ValueError, match="non-empty batch"):
        is_present(np.zeros((0, 3)))


def test_mask_missing_zeroes_missing_rows_and_appends_the_presence_flag():
    raw = np.array([[0.0, 0.0], [2.0, 0.0], [0.0, 0.0]], dtype="float32")
    emb = np.arange(9, dtype="float32").reshape(3, 3) + 1
    out = MaskMissing()([raw, emb]).numpy()
    flag = np.array([[0.0], [1.0], [0.0]], "float32")
    np.testing.assert_array_equal(out, np.concatenate([emb * flag, flag], axis=1))
    text = keras.ops.convert_to_tensor(np.array(["", "a"]))
    out = MaskMissing()([text, emb[:2]]).numpy()
    np.testing.assert_array_equal(out[0], 0)
    np.testing.assert_array_equal(out[1], [*emb[1], 1.0])


def test_mask_missing_rejects_bad_input():
    with pytest.raises(ValueError, match=r"expects \[raw_input, embedding\]"):
        MaskMissing()([np.ones((2, 2))])
    with pytest.raises(ValueError, match="of one batch size"):
        MaskMissing()([np.ones((2, 2)), np.ones((3, 4))])


def _flagged(x, present):
    return np.concatenate([x, np.asarray(present, "float32")[:, None]], axis=1)


@pytest.mark.parametrize("fill", ["zero", "token"])
def test_modality_dropout_inference_fills_missing_and_keeps_present(fill):
    layer = ModalityDropout(rate=0.9, fill=fill)
    a = np.ones((3, 2), dtype="float32")
    b = np.array([[1, 2], [0, 0], [3, 4]], dtype="float32")
    layer.build([(None, 3), (None, 3)])
    if fill == "token":
        layer.tokens[1].assign([7.0, 8.0])
    outs = layer([_flagged(a, [1, 1, 1]), _flagged(b, [1, 0, 1])], training=False)
    out_a, out_b = (o.numpy() for o in outs)
    np.testing.assert_array_equal(out_a, a)  # inference never drops a present modality
    expected_missing = [0.0, 0.0] if fill == "zero" else [7.0, 8.0]
    np.testing.assert_array_equal(out_b, [[1, 2], expected_missing, [3, 4]])


def test_an_all_zero_embedding_of_a_present_input_is_not_treated_as_missing():
    # an encoder ending in a ReLU can map a present input to an all-zero embedding;
    # presence comes from the raw input (the flag), never from the embedding's values
    layer = ModalityDropout(rate=0.0, fill="token")
    layer.build([(None, 3), (None, 3)])
    layer.tokens[0].assign([5.0, 5.0])
    zero_but_present = _flagged(np.zeros((2, 2), "float32"), [1, 1])
    out = layer([zero_but_present, _flagged(np.ones((2, 2), "float32"), [1, 1])])[0].numpy()
    np.testing.assert_array_equal(out, 0.0)  # kept as it is, not replaced by the token
    encoder = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3, activation="relu")])
    encoder.set_weights([-np.ones((2, 3), "float32"), np.zeros(3, "float32")])
    raw = np.array([[1.0, 1.0]], "float32")  # present, but its embedding is all zeros
    assert np.all(encoder(raw).numpy() == 0)
    assert MaskMissing()([raw, encoder(raw)]).numpy()[0, -1] == 1.0


def test_modality_dropout_training_drops_at_rate_but_never_everything():
    layer = ModalityDropout(rate=0.5, seed=1)
    xs = [np.ones((4000, 3), dtype="float32") for _ in range(3)]
    outs, keep = layer(xs, training=True, return_mask=True)
    keep = keep.numpy()
    assert keep.sum(axis=1).min() >= 1  # every example keeps a modality
    # P(i dropped) = P(i dropped, not all three dropped) = 1/2 - 1/8 = 0.375
    assert abs(1 - keep.mean() - 0.375) < 0.03
    for i, out in enumerate(outs):
        assert out.shape == (4000, 2)  # the flag is stripped
        np.testing.assert_array_equal(out.numpy()[:, 0], keep[:, i])
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(ModalityDropout(0.0)(xs, training=True)[0]), xs[0][:, :2]
    )


def test_modality_dropout_bad_arguments():
    with pytest.raises(ValueError, match=r"rate must be a number in \[0, 1\)"):
        ModalityDropout(rate=1.0)
    with pytest.raises(ValueError, match="fill must be 'zero' or 'token'"):
        ModalityDropout(fill="mean")
    with pytest.raises(ValueError, match="2 or more modalities"):
        ModalityDropout()([np.ones((2, 3))])
    layer = ModalityDropout()
    layer([np.ones((2, 3)), np.ones((2, 3))])
    with pytest.raises(ValueError, match="built for 2 modalities, got 3"):
        layer([np.ones((2, 3))] * 3)


@pytest.mark.parametrize("builder", ["gated", "late"])
def test_missing_input_makes_output_independent_of_its_encoder(builder):
    encs = _encoders()
    model = (
        build_fusion_model(encs, "gated", head_units=8, missing="token", modality_dropout=0.3)
        if builder == "gated"
        else build_late_fusion(encs, "mean", missing="token", modality_dropout=0.3)
    )
    x = _batch()
    x["m0"][:3] = 0.0  # first three examples lack modality m0
    before = model.predict(x, verbose=0)
    enc = model.get_layer(encs[0].name)
    enc.set_weights([w + 1.0 for w in enc.get_weights()])
    after = model.predict(x, verbose=0)
    np.testing.assert_allclose(after[:3], before[:3], atol=1e-6)
    assert np.abs(after[3:] - before[3:]).max() > 1e-4


def test_missing_token_is_trained_on_dropped_examples(tmp_path):
    model = build_fusion_model(
        _encoders(), "concat", head_units=8, modality_dropout=0.5, missing="token"
    )
    x, y = _batch(n=64), np.arange(64) % 10
    layer = model.get_layer("modality_dropout")
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert all(np.abs(t.numpy()).max() > 0 for t in layer.tokens)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    x["m1"][:2] = 0
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_builder_option_validation():
    with pytest.raises(ValueError, match="missing must be None, 'zero' or 'token'"):
        build_fusion_model(_encoders(), "concat", missing="impute")
    with pytest.raises(ValueError, match="modality_dropout must be a number"):
        build_late_fusion(_encoders(), "mean", modality_dropout=-0.1)


def test_attach_front_ends_matches_head_on_embeddings():
    encs = _encoders()
    heads_in = {e.inputs[0].name: keras.Input((4,), name=e.inputs[0].name) for e in encs}
    fused = keras.layers.Concatenate()(list(heads_in.values()))
    head = keras.Model(heads_in, keras.layers.Dense(10)(fused))
    front = {e.inputs[0].name: e for e in encs}
    model = attach_front_ends(head, front)
    x = _batch()
    z = {m: front[m].predict(x[m], verbose=0) for m in front}
    np.testing.assert_allclose(model.predict(x, verbose=0), head.predict(z, verbose=0), atol=1e-5)
    assert not any(w.trainable for e in encs for w in e.weights)
    with pytest.raises(ValueError, match="front_ends are for"):
        attach_front_ends(head, {"m0": encs[0]})
    with pytest.raises(TypeError, match="head must be a keras.Model"):
        attach_front_ends("head", front)


def test_attach_front_ends_flags_missing_for_a_dropout_head():
    encs = _encoders()
    head = build_fusion_model(
        [build_vector_encoder(5, e.inputs[0].name, embedding_dim=4) for e in encs],
        "concat", head_units=8, missing="zero",
    )  # fmt: skip  # a head on flagged 4-d embeddings: inputs of width 5
    model = attach_front_ends(head, {e.inputs[0].name: e for e in encs})
    assert model.get_layer("m0_mask_missing") is not None
    x = _batch()
    x["m0"][:] = 0.0
    z1 = encs[1].predict(x["m1"], verbose=0)
    flagged = {"m0": np.zeros((6, 5), "float32"), "m1": _flagged(z1, np.ones(6))}
    np.testing.assert_allclose(
        model.predict(x, verbose=0), head.predict(flagged, verbose=0), atol=1e-5
    )
