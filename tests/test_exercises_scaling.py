"""check_replica_loss (notebook 16) accepts a right answer and rejects the plausible wrong
ones its hints are written for."""

import numpy as np
from exercise_reports import accepted, rejected

from mmtutor import exercises


def test_a_right_answer_passes():
    accepted(exercises.check_replica_loss(lambda loss, n: np.sum(loss) / n))

    def loop(loss, global_batch_size):  # written out, one example at a time
        total = 0.0
        for value in loss:
            total += float(value)
        return total / global_batch_size

    accepted(exercises.check_replica_loss(loop))


def test_tensorflow_itself_passes():
    import tensorflow as tf

    def tf_loss(loss, n):
        return tf.nn.compute_average_loss(tf.constant(loss), global_batch_size=n).numpy()

    accepted(exercises.check_replica_loss(tf_loss))


def test_the_local_mean_is_rejected_with_its_hint():
    report = exercises.check_replica_loss(lambda loss, n: np.mean(loss))
    rejected(report, "two replicas", "divide by the global batch size")
    rejected(report, "fewer examples", "global_batch_size")
    assert "one replica: the mean of the batch" not in report.failed  # right on one replica


def test_other_mistakes_are_rejected():
    rejected(exercises.check_replica_loss(lambda loss, n: np.sum(loss)), "one replica", "expected")
    rejected(exercises.check_replica_loss(lambda loss, n: np.asarray(loss) / n), "scalar")
    rejected(exercises.check_replica_loss(lambda loss, n: np.sum(loss) / (n * 2)), "two replicas")


def test_an_error_in_the_learners_code_is_a_failed_case():
    def broken(loss, n):
        raise ZeroDivisionError("oops")

    report = exercises.check_replica_loss(broken)
    assert not report.passed and "ZeroDivisionError" in repr(report)
