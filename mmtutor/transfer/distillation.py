"""Knowledge distillation (Hinton et al., 2015) across modalities (notebook 12).

A *teacher* (here a trimodal model) labels the training examples with its logits once; a
*student* that sees fewer modalities (here audio alone) learns from those soft targets and
from the labels. What the teacher read in the other modalities reaches the student only
through the targets: privileged information, available in training and not at test time.

- :func:`distillation_loss`: the loss, written with ``keras.ops``;
- :class:`Distiller`: a ``keras.Model`` wrapping the student, trained with
  ``fit(x, (labels, teacher_logits))``;
- :func:`train_student`: compile, fit and evaluate a student on soft targets, as a
  :class:`mmtutor.training.TrainResult`;
- :func:`compare_students`: students trained on labels alone or on teachers' soft targets,
  once per seed, in one table.
"""

from __future__ import annotations

import time

import keras
import numpy as np
from keras import ops

__all__ = ["Distiller", "compare_students", "distillation_loss", "train_student"]


def distillation_loss(labels, student_logits, teacher_logits, temperature=4.0, alpha=0.5):
    r"""Hinton et al. (2015): the mean over the batch of

    :math:`\alpha\, \mathrm{CE}(y, \mathrm{softmax}(s)) + (1 - \alpha)\, T^2\,
    \mathrm{KL}(\mathrm{softmax}(t / T) \,\|\, \mathrm{softmax}(s / T))`

    for student logits ``s``, teacher logits ``t`` and integer ``labels`` ``y``. The
    temperature ``T`` softens both distributions, so the student also learns how the
    teacher ranks the wrong classes; :math:`T^2` keeps the soft term's gradients on the
    scale of the hard term's as ``T`` grows. At ``T = 1`` with a one-hot teacher the loss
    is the cross-entropy with the teacher's classes. Hand-written because notebook 12
    teaches it (log-softmax throughout, so large logits do not overflow).

    Example:
        >>> s = np.array([[2.0, 0.0, -1.0]], "float32")
        >>> t = np.array([[1.0, 1.0, -2.0]], "float32")
        >>> round(float(distillation_loss(np.array([0]), s, t, temperature=1.0, alpha=1.0)), 4)
        0.1698
        >>> round(float(distillation_loss(np.array([0]), s, s, temperature=3.0, alpha=0.0)), 4)
        0.0
    """
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")
    s = ops.convert_to_tensor(student_logits, "float32")
    t = ops.convert_to_tensor(teacher_logits, "float32")
    if len(s.shape) != 2 or tuple(s.shape) != tuple(t.shape):
        raise ValueError(
            "student and teacher logits must both be (batch, classes), got shapes "
            f"{tuple(s.shape)} and {tuple(t.shape)}"
        )
    y = ops.cast(ops.reshape(labels, (-1,)), "int32")
    hard = -ops.sum(ops.one_hot(y, s.shape[-1]) * ops.log_softmax(s, axis=-1), axis=-1)
    log_p_teacher = ops.log_softmax(t / temperature, axis=-1)
    log_p_student = ops.log_softmax(s / temperature, axis=-1)
    soft = ops.sum(ops.exp(log_p_teacher) * (log_p_teacher - log_p_student), axis=-1)
    return ops.mean(alpha * hard + (1.0 - alpha) * temperature**2 * soft)


@keras.saving.register_keras_serializable(package="mmtutor")
class Distiller(keras.Model):
    """A student classifier trained on soft targets: ``fit(x, (labels, teacher_logits))``.

    The teacher's logits are computed once, before training (the teacher may read inputs
    the student never sees), and travel with the labels as the targets. The loss is
    :func:`distillation_loss`; the metrics compiled (e.g. ``"accuracy"``) compare the
    student's outputs with the labels. ``distiller(x)`` and ``distiller.predict(x)`` are
    the student's logits; after training, use ``distiller.student`` on its own.

    Args:
        student: a ``keras.Model`` returning logits.
        temperature: the softening temperature ``T`` (> 0).
        alpha: weight of the hard-label cross-entropy, in [0, 1]; ``1 - alpha`` weighs the
            soft targets.

    Example:
        >>> student = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        >>> distiller = Distiller(student, temperature=2.0, alpha=0.5)
        >>> distiller.compile(optimizer="adam", metrics=["accuracy"])
        >>> x, y, t = np.ones((8, 4)), np.zeros(8, "int32"), np.zeros((8, 3), "float32")
        >>> history = distiller.fit(x, (y, t), epochs=1, verbose=0)
        >>> sorted(history.history)
        ['accuracy', 'loss']
    """

    def __init__(self, student, temperature: float = 4.0, alpha: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(student, keras.Model):
            raise TypeError(f"student must be a keras.Model, got {type(student).__name__}")
        if not temperature > 0 or not 0.0 <= alpha <= 1.0:
            raise ValueError(
                f"Distiller expects temperature > 0 and alpha in [0, 1], got temperature="
                f"{temperature!r}, alpha={alpha!r}"
            )
        self.student = student
        self.temperature = float(temperature)
        self.alpha = float(alpha)

    def call(self, inputs, training=False):
        return self.student(inputs, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        labels, teacher_logits = y
        return distillation_loss(labels, y_pred, teacher_logits, self.temperature, self.alpha)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        return super().compute_metrics(x, y[0], y_pred, sample_weight)

    def get_config(self):
        return {
            **super().get_config(),
            "student": keras.saving.serialize_keras_object(self.student),
            "temperature": self.temperature,
            "alpha": self.alpha,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["student"] = keras.saving.deserialize_keras_object(config["student"])
        return cls(**config)


def train_student(
    student: keras.Model,
    data,
    teacher_logits: np.ndarray,
    temperature: float = 4.0,
    alpha: float = 0.5,
    labelled: np.ndarray | None = None,
    epochs: int = 10,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
):
    """Train ``student`` by distillation (:class:`Distiller`) on ``data.train`` and evaluate
    it on ``data.test``; returns a :class:`mmtutor.training.TrainResult` of the student.

    ``teacher_logits`` are the teacher's logits of every training example. ``labelled``
    (optional) is a boolean mask of the training examples whose label may be used: the
    others are *unlabelled* and learn from the soft targets only (their hard term uses the
    teacher's arg-max, with weight ``alpha``; pass ``alpha=0.0`` to use no hard term at all).

    Example:
        >>> result = train_student(student, data, teacher_logits, temperature=4.0)  # doctest: +SKIP
    """
    y, teacher_logits = _student_targets(data, teacher_logits, labelled)
    distiller = _compile_distiller(Distiller(student, temperature, alpha), learning_rate)
    return _fit_student(distiller, data, y, teacher_logits, epochs, batch_size)


def _student_targets(data, teacher_logits, labelled):
    """The hard labels (the teacher's arg-max where unlabelled) and the teacher's logits."""
    teacher_logits = np.asarray(teacher_logits, dtype="float32")
    y = np.asarray(data.train.y)
    if teacher_logits.ndim != 2 or len(teacher_logits) != len(y):
        raise ValueError(
            f"teacher_logits must be (training examples, classes) = ({len(y)}, k), got "
            f"shape {teacher_logits.shape}"
        )
    if labelled is not None:
        labelled = np.asarray(labelled, dtype=bool)
        if labelled.shape != y.shape:
            raise ValueError(
                f"labelled must be a boolean mask of shape {y.shape}, got {labelled.shape}"
            )
        y = np.where(labelled, y, np.argmax(teacher_logits, axis=1)).astype(y.dtype)
    return y, teacher_logits


def _compile_distiller(distiller, learning_rate: float):
    distiller.compile(optimizer=keras.optimizers.Adam(learning_rate), metrics=["accuracy"])
    return distiller


def _fit_student(distiller, data, y, teacher_logits, epochs, batch_size):
    """Fit a compiled :class:`Distiller` and evaluate its student (:func:`train_student`)."""
    from mmtutor.evaluation import predict_classes
    from mmtutor.training import TrainResult

    student = distiller.student
    names = [t.name for t in student.inputs]
    start = time.perf_counter()
    history = distiller.fit(data.train.inputs(names), (y, teacher_logits), epochs=epochs,
                            batch_size=batch_size, verbose=0)  # fmt: skip
    seconds = time.perf_counter() - start
    predictions = predict_classes(student, data.test.inputs(names))
    return TrainResult(
        model=student,
        history={k: [float(v) for v in vals] for k, vals in history.history.items()},
        test_loss=float("nan"),
        test_accuracy=float(np.mean(predictions == data.test.y)),
        seconds=seconds,
        params=int(np.sum([np.prod(w.shape) for w in student.trainable_weights])),
        test_predictions=predictions,
    )


def compare_students(make_student, data, teachers: dict, seeds=0, **options):
    """Train a fresh student (``make_student()``) per entry of ``teachers`` and per seed:
    ``teachers`` maps a name to ``None`` (labels alone: temperature 1, alpha 1, i.e. plain
    cross-entropy) or to the keyword arguments of :func:`train_student` (``teacher_logits``,
    ``temperature``, ``alpha``, ``labelled``). ``options`` (epochs, batch_size,
    learning_rate) apply to every run. Each run re-seeds (``mmtutor.setup``).

    Returns:
        ``(table, results)`` as :func:`mmtutor.training.compare_models`: mean test accuracy
        and its ``std`` over the seeds; every run's predictions for
        :func:`mmtutor.training.compare_paired`.

    Example:
        >>> table, results = compare_students(make_student, data,  # doctest: +SKIP
        ...     {"labels only": None, "distilled": {"teacher_logits": logits}}, seeds=(0, 1, 2))
    """
    import pandas as pd

    from mmtutor.config import setup

    seeds = [seeds] if isinstance(seeds, int | np.integer) else list(seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be an integer or distinct integers, got {seeds!r}")
    rows, results = {}, {}
    for name, teacher in teachers.items():
        if teacher is None:
            classes = int(max(data.train.y.max(), data.test.y.max())) + 1
            teacher = {"teacher_logits": np.zeros((len(data.train.y), classes), "float32"),
                       "temperature": 1.0, "alpha": 1.0}  # fmt: skip
        runs = []
        if len(seeds) == 1:
            setup(seed=int(seeds[0]), verbose=False)
            runs.append(train_student(make_student(), data, **teacher, **options))
        else:  # one trace for every seed, the same weights as a new student per seed
            runs = _students_restarted(make_student, data, teacher, seeds, **options)
        results[name] = runs[0]
        results[name].runs = runs
        accuracies = [r.test_accuracy for r in runs]
        rows[name] = {"test accuracy": round(float(np.mean(accuracies)), 3)}
        if len(seeds) > 1:
            rows[name]["std"] = round(float(np.std(accuracies, ddof=1)), 3)
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("student"), results


def _students_restarted(make_student, data, teacher: dict, seeds, epochs: int = 10,
                        batch_size: int = 64, learning_rate: float = 1e-3) -> list:  # fmt: skip
    """:func:`train_student` once per seed through one :class:`~mmtutor.training.Restartable`."""
    from mmtutor.training import Restartable

    teacher = dict(teacher)  # temperature and alpha, if given, go to the Distiller
    y, logits = _student_targets(data, teacher.pop("teacher_logits"), teacher.pop("labelled", None))
    runner = Restartable(lambda: Distiller(make_student(), **teacher),
                         lambda d: _compile_distiller(d, learning_rate))  # fmt: skip
    runs = []
    for seed in seeds:
        run = _fit_student(runner.start(seed), data, y, logits, epochs, batch_size)
        run.model = runner.keep().student
        runs.append(run)
    return runs
