"""mmtutor.translation: DTW against a brute-force search over every warping path, CTC
decoding of hand-made score matrices, beam search against greedy decoding and an exhaustive
search, the caption decoder (causality, missing modalities, saving, the copy promise),
the multimodal autoencoder and the figures of notebook 11."""

import inspect
import itertools
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from copy_check import exec_copy
from keras import layers, ops  # noqa: E402
from scipy.special import log_softmax  # noqa: E402

from mmtutor import plotting, translation  # noqa: E402
from mmtutor.translation import (  # noqa: E402
    CaptionDecoder,
    TransformerDecoderBlock,
    beam_search,
    ctc_emissions,
    ctc_frame_times,
    ctc_greedy_decode,
    ctc_targets,
    dtw,
    dtw_map,
    greedy_decode,
    warp_times,
)

REPO = Path(__file__).resolve().parents[1]


def numpy(x):
    return np.asarray(ops.convert_to_numpy(x), dtype=float)


# ------------------------------------------------------------------ DTW
def warping_paths(n, m, window=None):
    """Every path from (0, 0) to (n-1, m-1) with steps (1, 0), (0, 1), (1, 1), by recursion."""
    slope = (n - 1) / (m - 1) if m > 1 else 0.0

    def allowed(i, j):
        return window is None or abs(i - j * slope) <= window

    def extend(path):
        i, j = path[-1]
        if (i, j) == (n - 1, m - 1):
            yield path
            return
        for di, dj in ((1, 0), (0, 1), (1, 1)):
            if i + di < n and j + dj < m and allowed(i + di, j + dj):
                yield from extend(path + [(i + di, j + dj)])

    return list(extend([(0, 0)]))


@pytest.mark.parametrize(("n", "m"), [(1, 1), (1, 4), (3, 3), (4, 2), (4, 5), (5, 5)])
def test_dtw_finds_the_cheapest_of_every_warping_path(n, m):
    rng = np.random.default_rng(n * 10 + m)
    x, y = rng.normal(size=(n, 2)), rng.normal(size=(m, 2))
    cost = np.linalg.norm(x[:, None] - y[None], axis=-1)
    costs = [sum(cost[c] for c in path) for path in warping_paths(n, m)]
    result = dtw(x, y)
    assert result.distance == pytest.approx(min(costs))
    path = [tuple(c) for c in result.path]
    assert path[0] == (0, 0) and path[-1] == (n - 1, m - 1)
    steps = {(b[0] - a[0], b[1] - a[1]) for a, b in itertools.pairwise(path)}
    assert steps <= {(1, 0), (0, 1), (1, 1)}
    assert sum(cost[c] for c in path) == pytest.approx(result.distance)
    np.testing.assert_allclose(result.cost, cost)
    assert result.accumulated[-1, -1] == pytest.approx(result.distance)


def test_dtw_accumulated_cost_is_the_best_path_to_every_cell():
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(5, 3))
    result = dtw(x, y)
    for i in range(4):
        for j in range(5):
            best = min(sum(result.cost[c] for c in p) for p in warping_paths(i + 1, j + 1))
            assert result.accumulated[i, j] == pytest.approx(best)


def test_dtw_window_is_a_sakoe_chiba_band():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(6, 1)), rng.normal(size=(6, 1))
    cost = np.abs(x - y.T)
    for window in (0, 1, 2):
        costs = [sum(cost[c] for c in p) for p in warping_paths(6, 6, window)]
        result = dtw(x, y, window=window)
        assert result.distance == pytest.approx(min(costs))
        assert np.all(np.abs(result.path[:, 0] - result.path[:, 1]) <= window)
    assert dtw(x, y, window=0).path.tolist() == [[i, i] for i in range(6)]


def test_dtw_of_a_sequence_and_its_slowed_copy_is_zero():
    x = np.sin(np.linspace(0, 3, 20))[:, None]
    slowed = np.repeat(x, 2, axis=0)
    result = dtw(x, slowed)
    assert result.distance == pytest.approx(0.0)
    np.testing.assert_allclose(dtw_map(result.path), np.arange(20) * 2 + 0.5)


def test_dtw_rejects_bad_input():
    with pytest.raises(ValueError, match="same number of features"):
        dtw(np.ones((3, 2)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="non-empty finite"):
        dtw(np.ones((0, 2)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="non-empty finite"):
        dtw([1.0, np.nan], [1.0])
    with pytest.raises(ValueError, match="window must be None or a non-negative integer"):
        dtw([1.0], [1.0], window=-1)
    with pytest.raises(ValueError, match="no warping path fits in window=0"):
        dtw(np.ones(3), np.ones(7), window=0)


def test_dtw_map_and_warp_times_carry_times_through_the_path():
    path = np.array([[0, 0], [0, 1], [1, 2], [2, 3], [2, 4]])
    np.testing.assert_allclose(dtw_map(path), [0.5, 2.0, 3.5])
    t = warp_times(path, [0.0, 1.0, 2.0], [0.0, 0.5, 1.0, 1.5, 2.0], [0.0, 0.5, 2.0, np.nan])
    # frame 0 -> frame 0.5 -> 0.25 s; 0.5 s -> frame 1.25 -> 0.625 s; the last -> 1.75 s
    np.testing.assert_allclose(t, [0.25, 0.625, 1.75, np.nan])
    with pytest.raises(ValueError, match="every one of the 4 frames"):
        dtw_map(path, n_frames=4)
    with pytest.raises(ValueError, match="increasing"):
        warp_times(path, [0.0, 0.0, 1.0], [0.0, 1.0, 2.0, 3.0, 4.0], [0.1])


# ------------------------------------------------------------------ CTC
def scores(frames, symbols=11, peak=5.0):
    """Logits that make the given symbol the most likely one at each frame."""
    return np.eye(symbols)[np.asarray(frames)] * peak


def test_ctc_greedy_decoding_of_hand_made_scores():
    # blank=0, digit d = symbol d+1: "blank 4 4 blank 4 0 blank" -> 4 4 0
    logits = np.stack([scores([0, 5, 5, 0, 5, 1, 0]), scores([3, 3, 3, 0, 0, 10, 10])])
    assert ctc_greedy_decode(logits) == [[4, 4, 0], [2, 9]]
    assert ctc_greedy_decode(scores([[0, 0, 0]])) == [[]]  # all blank: nothing said


def test_ctc_emissions_give_the_greedy_digits_and_when():
    times = np.arange(7) * 0.1
    emitted = ctc_emissions(scores([[0, 5, 5, 0, 5, 1, 1]]), times)
    assert emitted == [[(4, 0.15), (4, 0.4), (0, 0.55)]]
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(30, 12, 11)) * 2
    digits = [[d for d, _ in e] for e in ctc_emissions(logits, np.arange(12) * 0.064)]
    assert digits == ctc_greedy_decode(logits)  # Keras' decoder agrees with the collapse
    with pytest.raises(ValueError, match="one time per frame"):
        ctc_emissions(logits, np.arange(11))


def test_ctc_targets_shift_digits_past_the_blank():
    np.testing.assert_array_equal(ctc_targets(np.array([[4, 0, -1], [9, 9, 9]])),
                                  [[5, 1, 0], [10, 10, 10]])  # fmt: skip
    with pytest.raises(ValueError, match="digits 0-9 or the padding"):
        ctc_targets(np.array([[10, -1]]))
    with pytest.raises(ValueError, match="2-D integer array"):
        ctc_targets(np.array([1, 2]))


def test_ctc_loss_is_lowest_for_the_spoken_string():
    """keras.losses.CTC, as the notebook trains with it: the loss of scores peaked on a path
    that collapses to the target is lower than for any other target."""
    logits = scores([[0, 5, 5, 0, 1, 0]]).astype("float32")  # says 4 0
    loss = keras.losses.CTC(reduction=None)
    right = float(loss(ctc_targets(np.array([[4, 0]])), logits)[0])
    for other in ([[0, 4]], [[4, 4]], [[4, -1]], [[4, 0, 0]]):
        assert right < float(loss(ctc_targets(np.array(other)), logits)[0]), other


def test_ctc_frame_times_match_the_model_and_tensorflow_padding():
    model = translation.build_ctc_recognizer(num_samples=8000)
    times = ctc_frame_times(model, 8000)
    assert len(times) == model.output_shape[1] == 16
    # 61 log-mel frames; stride 4, kernel 5, "same": 2 padded frames before, so output t
    # is centred on log-mel frame 4t, whose centre is 4t * 128 + 128 samples
    np.testing.assert_allclose(times, (4 * np.arange(16) * 128 + 128) / 8000)
    flexible = translation.build_ctc_recognizer(stride=2)
    out = flexible(np.zeros((1, 6000), "float32"))
    assert len(ctc_frame_times(flexible, 6000)) == out.shape[1]
    with pytest.raises(ValueError, match="num_samples must be an integer >= 256"):
        ctc_frame_times(model, 100)


def test_recognizer_trains_on_ctc_and_survives_saving(tmp_path):
    keras.utils.set_random_seed(0)
    model = translation.build_ctc_recognizer(num_samples=4000, embedding_dim=8, units=4)
    assert model.output_shape == (None, 8, 11)
    audio = np.random.default_rng(0).normal(size=(4, 4000)).astype("float32")
    y = ctc_targets(np.array([[1, 2], [3, -1], [4, 4], [0, 9]]))
    with tf.GradientTape() as tape:
        loss = keras.losses.CTC()(y, model(audio, training=True))
    grads = tape.gradient(loss, model.trainable_weights)
    assert np.isfinite(float(loss)) and all(float(tf.reduce_sum(tf.abs(g))) > 0 for g in grads)
    model.save(tmp_path / "ctc.keras")
    again = keras.models.load_model(tmp_path / "ctc.keras")
    np.testing.assert_allclose(numpy(again(audio)), numpy(model(audio)), atol=1e-5)
    with pytest.raises(ValueError, match="units must be a positive integer"):
        translation.build_ctc_recognizer(units=0)
    with pytest.raises(ValueError, match="num_samples must be None or an integer >= 256"):
        translation.build_ctc_recognizer(num_samples=100)


# ------------------------------------------------------------------ caption decoder
def small_decoder(**options):
    keras.utils.set_random_seed(0)
    return CaptionDecoder({"image": 4, "audio": 6}, vocabulary_size=7, max_length=6, units=8,
                          num_heads=2, hidden_units=16, **options)  # fmt: skip


def decoder_inputs(n=3, length=5, seed=0):
    rng = np.random.default_rng(seed)
    return {"image": rng.normal(size=(n, 4)).astype("float32"),
            "audio": rng.normal(size=(n, 6)).astype("float32"),
            "tokens": rng.integers(1, 7, size=(n, length)).astype("int32")}  # fmt: skip


def test_decoder_block_is_causal():
    """The output at position t does not change when later words change."""
    keras.utils.set_random_seed(0)
    block = TransformerDecoderBlock(units=8, num_heads=2, hidden_units=16)
    rng = np.random.default_rng(0)
    x, memory = rng.normal(size=(2, 6, 8)).astype("f"), rng.normal(size=(2, 3, 8)).astype("f")
    changed = x.copy()
    changed[:, 4:] = rng.normal(size=(2, 2, 8))
    a, b = numpy(block([x, memory])), numpy(block([changed, memory]))
    np.testing.assert_allclose(a[:, :4], b[:, :4], atol=1e-5)
    assert not np.allclose(a[:, 4:], b[:, 4:])
    with pytest.raises(ValueError, match="expects \\[words"):
        TransformerDecoderBlock(units=8)([np.ones((2, 6, 5)), memory])


def test_decoder_outputs_attention_and_masks_missing_modalities():
    model = small_decoder()
    x = decoder_inputs()
    logits, weights = model(x, return_attention_scores=True)
    assert tuple(logits.shape) == (3, 5, 7) and tuple(weights.shape) == (3, 2, 5, 3)
    np.testing.assert_allclose(numpy(weights).sum(-1), 1.0, atol=1e-5)
    assert model.memory_slots == ["sentinel", "image", "audio"]
    silent = {**x, "audio": np.zeros_like(x["audio"])}
    _, weights = model(silent, return_attention_scores=True)
    assert float(ops.max(weights[..., 2])) == 0.0  # nobody reads a missing modality
    # so the audio projection cannot matter when audio is missing, and does when present
    before_silent, before_present = numpy(model(silent)), numpy(model(x))
    projection = model.projections[1]
    projection.kernel.assign(np.random.default_rng(1).normal(size=(6, 8)))
    projection.bias.assign(np.ones(8))
    np.testing.assert_allclose(numpy(model(silent)), before_silent, atol=1e-6)
    assert not np.allclose(numpy(model(x)), before_present)


def test_modality_dropout_acts_in_training_only():
    model = small_decoder(modality_dropout=0.5, seed=1)
    x = decoder_inputs(n=64)
    np.testing.assert_allclose(numpy(model(x)), numpy(model(x)))
    train = [numpy(model(x, training=True)) for _ in range(2)]
    assert not np.allclose(train[0], train[1])


def test_every_decoder_weight_gets_a_gradient():
    model = small_decoder()
    x = decoder_inputs()
    with tf.GradientTape() as tape:
        loss = ops.mean(model(x, training=True) ** 2)
    grads = tape.gradient(loss, model.trainable_weights)
    assert len(grads) == len(model.trainable_weights) > 10
    assert all(g is not None and float(tf.reduce_sum(tf.abs(g))) > 0 for g in grads)


def test_decoder_survives_saving(tmp_path):
    model = small_decoder(modality_dropout=0.2, seed=3)
    x = decoder_inputs()
    model.save(tmp_path / "decoder.keras")
    again = keras.models.load_model(tmp_path / "decoder.keras")
    np.testing.assert_allclose(numpy(again(x)), numpy(model(x)), atol=1e-6)
    assert again.modality_dropout == 0.2 and again.modalities == {"image": 4, "audio": 6}


def test_decoder_rejects_bad_input():
    with pytest.raises(ValueError, match="modalities must be a non-empty dict"):
        CaptionDecoder({}, vocabulary_size=5, max_length=4)
    with pytest.raises(ValueError, match="vocabulary_size must be an integer >= 2"):
        CaptionDecoder({"image": 4}, vocabulary_size=1, max_length=4)
    with pytest.raises(ValueError, match="modality_dropout must be a number in"):
        CaptionDecoder({"image": 4}, vocabulary_size=5, max_length=4, modality_dropout=1.0)
    with pytest.raises(ValueError, match=r"expects a dict with \['image', 'audio', 'tokens'\]"):
        small_decoder()({"image": np.ones((1, 4))})


@pytest.mark.parametrize("cls", [TransformerDecoderBlock, CaptionDecoder], ids=lambda c: c.__name__)
def test_shown_source_runs_when_copied_with_plain_imports(cls):
    """The block's and the decoder's source, pasted into a namespace with only keras, layers,
    ops and numpy, give the package's outputs with the same weights."""
    source = "\n\n".join(inspect.getsource(c) for c in (TransformerDecoderBlock, CaptionDecoder))
    namespace = {"keras": keras, "layers": layers, "ops": ops, "np": np}
    exec_copy(source, namespace, "<copy>")
    x = decoder_inputs()
    if cls is CaptionDecoder:
        original = small_decoder()
        keras.utils.set_random_seed(0)
        copy = namespace["CaptionDecoder"]({"image": 4, "audio": 6}, vocabulary_size=7,
                                           max_length=6, units=8, num_heads=2, hidden_units=16)  # fmt: skip
        copy.set_weights(original.get_weights())
        np.testing.assert_allclose(numpy(copy(x)), numpy(original(x)), atol=1e-6)
    else:
        rng = np.random.default_rng(0)
        inputs = [rng.normal(size=(2, 5, 8)).astype("f"), rng.normal(size=(2, 3, 8)).astype("f")]
        original = TransformerDecoderBlock(units=8, num_heads=2, hidden_units=16)
        copy = namespace["TransformerDecoderBlock"](units=8, num_heads=2, hidden_units=16)
        original(inputs), copy(inputs)
        copy.set_weights(original.get_weights())
        np.testing.assert_allclose(numpy(copy(inputs)), numpy(original(inputs)), atol=1e-6)


# ------------------------------------------------------------------ generation
def test_vectorizer_round_trip_and_errors():
    captions = ["an odd number", "an even number and a prime number"]
    vectorizer = translation.make_caption_vectorizer(captions, max_length=10)
    ids = translation.encode_captions(vectorizer, captions)
    vocabulary = [str(w) for w in vectorizer.get_vocabulary()]
    assert ids.shape == (2, 10) and ids.dtype == np.int32
    assert np.all(ids[:, 0] == vocabulary.index("start"))
    assert translation.decode_tokens(vectorizer, ids[:, 1:]) == [c.split() for c in captions]
    with pytest.raises(ValueError, match="longer than the vectorizer's 10 tokens"):
        translation.encode_captions(vectorizer, ["an odd number " * 4])
    with pytest.raises(ValueError, match="captions must be a non-empty 1-D sequence of str"):
        translation.make_caption_vectorizer([1, 2])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beam_search_with_beam_one_is_greedy_decoding(seed):
    model = small_decoder()
    x = {m: v for m, v in decoder_inputs(n=8, seed=seed).items() if m != "tokens"}
    greedy = greedy_decode(model, x, start_id=1, end_id=2)
    assert greedy.shape == (8, 5)
    np.testing.assert_array_equal(beam_search(model, x, 1, 2, beam_width=1), greedy)
    for row in greedy:  # words up to the first end token, padding after it
        stop = list(row).index(2) + 1 if 2 in row else len(row)
        assert np.all(row[:stop] != 0) and np.all(row[stop:] == 0)


def sequence_log_probability(model, x, tokens, start_id):
    """log p(tokens | x), summed over the positions, with one forward pass."""
    fed = np.array([[start_id, *tokens[:-1]]], np.int32)
    logits = numpy(model({**x, "tokens": fed}))[0]
    logp = log_softmax(logits, axis=-1)
    return float(sum(logp[t, token] for t, token in enumerate(tokens)))


def test_a_wide_beam_finds_the_most_likely_sequence_by_exhaustive_search():
    keras.utils.set_random_seed(4)
    model = CaptionDecoder({"image": 3}, vocabulary_size=5, max_length=4, units=8)
    end = 2
    for seed in range(3):
        x = {"image": np.random.default_rng(seed).normal(size=(1, 3)).astype("float32") * 3}
        candidates = []  # every sequence of at most 3 tokens from 1..4 that stops at "end"
        for length in (1, 2, 3):
            for body in itertools.product([1, 3, 4], repeat=length - 1):
                candidates.append((*body, end))
        best = max(candidates, key=lambda s: sequence_log_probability(model, x, s, start_id=1))
        found = beam_search(model, x, start_id=1, end_id=end, beam_width=64)[0]
        found = tuple(int(t) for t in found[: list(found).index(end) + 1]) if end in found else None
        if found is not None:  # the beam returns a finished sequence when there is one
            assert found == best
            greedy = greedy_decode(model, x, 1, end)[0]
            if end in greedy:
                g = tuple(int(t) for t in greedy[: list(greedy).index(end) + 1])
                assert sequence_log_probability(model, x, g, 1) <= \
                    sequence_log_probability(model, x, found, 1) + 1e-9  # fmt: skip


def test_decoding_rejects_bad_input():
    model = small_decoder()
    x = {"image": np.ones((2, 4)), "audio": np.ones((2, 6))}
    with pytest.raises(TypeError, match="model must be a CaptionDecoder"):
        greedy_decode(keras.Sequential([layers.Dense(2)]), x, 1, 2)
    with pytest.raises(ValueError, match=r"inputs must be a dict with \['image', 'audio'\]"):
        greedy_decode(model, {"image": np.ones((2, 4))}, 1, 2)
    with pytest.raises(ValueError, match=r"end_id must be a token id in \[1, 7\)"):
        greedy_decode(model, x, 1, 7)
    with pytest.raises(ValueError, match=r"max_length must be an integer in \[1, 6\)"):
        greedy_decode(model, x, 1, 2, max_length=6)
    with pytest.raises(ValueError, match="beam_width must be a positive integer"):
        beam_search(model, x, 1, 2, beam_width=0)


# ------------------------------------------------------------------ autoencoder
def test_autoencoder_reconstructs_every_modality_and_fills_a_missing_one(tmp_path):
    keras.utils.set_random_seed(0)
    model = translation.build_multimodal_autoencoder({"image": 5, "audio": 3}, embedding_dim=4,
                                                     modality_dropout=0.5,
                                                     output_activations={"image": "sigmoid"})  # fmt: skip
    rng = np.random.default_rng(0)
    x = {"image": rng.random((16, 5)).astype("f"), "audio": rng.normal(size=(16, 3)).astype("f")}
    out = model(x)
    assert {m: tuple(v.shape) for m, v in out.items()} == {"image": (16, 5), "audio": (16, 3)}
    assert float(ops.min(out["image"])) >= 0.0 and float(ops.max(out["image"])) <= 1.0
    # an all-zero (missing) image is masked: the image encoder's weights cannot matter
    missing = {"image": np.zeros_like(x["image"]), "audio": x["audio"]}
    before_missing, before_present = numpy(model(missing)["image"]), numpy(model(x)["image"])
    image_encoder = model.get_layer("image_encoder")
    image_encoder.bias.assign(np.ones(image_encoder.bias.shape))
    np.testing.assert_allclose(numpy(model(missing)["image"]), before_missing, atol=1e-6)
    assert not np.allclose(numpy(model(x)["image"]), before_present)
    # modality dropout acts in training only
    np.testing.assert_allclose(numpy(model(x)["audio"]), numpy(model(x)["audio"]))
    assert not np.allclose(numpy(model(x, training=True)["audio"]),
                           numpy(model(x, training=True)["audio"]))  # fmt: skip
    # the image's reconstruction from the audio alone sends gradients to the audio encoder
    with tf.GradientTape() as tape:
        loss = ops.mean((model(missing)["image"] - x["image"]) ** 2)
    audio_kernel = model.get_layer("audio_encoder").kernel
    assert float(tf.reduce_sum(tf.abs(tape.gradient(loss, audio_kernel)))) > 0
    assert translation.joint_embedding_model(model).output_shape == (None, 4)
    model.save(tmp_path / "ae.keras")
    again = keras.models.load_model(tmp_path / "ae.keras")
    np.testing.assert_allclose(numpy(again(x)["image"]), numpy(model(x)["image"]), atol=1e-6)


def test_autoencoder_rejects_bad_options():
    build = translation.build_multimodal_autoencoder
    with pytest.raises(ValueError, match="dict of 2\\+ modalities"):
        build({"image": 5})
    with pytest.raises(ValueError, match="embedding_dim must be a positive integer"):
        build({"a": 2, "b": 3}, embedding_dim=0)
    with pytest.raises(ValueError, match="modality_dropout must be a number in"):
        build({"a": 2, "b": 3}, modality_dropout=1.0)
    with pytest.raises(ValueError, match="unknown modalities \\['c'\\]"):
        build({"a": 2, "b": 3}, output_activations={"c": "sigmoid"})
    with pytest.raises(ValueError, match="has no layer 'joint_embedding'"):
        translation.joint_embedding_model(keras.Sequential([keras.Input((2,)), layers.Dense(2)]))


# ------------------------------------------------------------------ figures
def test_figures_of_notebook_11():
    fig = plotting.plot_image_rows(
        {"a": np.zeros((2, 8, 8, 1)), "b": np.ones((2, 8, 8))}, ["x", "y"]
    )
    assert [ax.get_ylabel() for ax in fig.axes[::2]] == ["a", "b"]
    with pytest.raises(ValueError, match="same number of images"):
        plotting.plot_image_rows({"a": np.zeros((2, 8, 8)), "b": np.zeros((3, 8, 8))})
    fig = plotting.plot_spoken_sequence(np.zeros(4000), np.zeros((30, 32)), [0.1, np.nan],
                                        [0.3, np.nan], [5])  # fmt: skip
    assert [t.get_text() for t in fig.axes[0].texts] == ["5"]
    with pytest.raises(ValueError, match="one span"):
        plotting.plot_spoken_sequence(np.zeros(4000), np.zeros((30, 32)), [0.1], [0.3], [5, 6])
    probs = np.full((8, 11), 1 / 11)
    fig = plotting.plot_ctc_alignment(np.zeros((30, 32)), probs, np.arange(8) * 0.064, [0.1, 0.3],
                                      [0.2, 0.4], [1, 1], emissions=[(1, 0.15), (1, 0.35)])  # fmt: skip
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert labels == ["blank", "1"]
    with pytest.raises(ValueError, match="must agree"):
        plotting.plot_ctc_alignment(np.zeros((30, 32)), probs, np.arange(7), [0.1], [0.2], [1])
    fig = plotting.plot_dtw_path(np.ones((4, 5)), np.array([[0, 0], [1, 1], [2, 2], [3, 4]]),
                                 boundaries_a=[0.02, np.nan], boundaries_b=[0.03])  # fmt: skip
    assert len(fig.axes[0].lines) == 3
    with pytest.raises(ValueError, match="path leaves the"):
        plotting.plot_dtw_path(np.ones((4, 5)), np.array([[0, 0], [4, 4]]))
