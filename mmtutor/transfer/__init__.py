"""Transfer, multitask learning and co-learning (notebook 12): how knowledge moves from a
source task to a target, between tasks that share a model, and from one modality (or a
multimodal teacher) to another.

- :mod:`~mmtutor.transfer.reuse`: a synthesized source corpus, label budgets, copying,
  freezing and gradually unfreezing an encoder, learning curves;
- :mod:`~mmtutor.transfer.multitask`: task labels, multitask and multi-head (blended)
  models, their training and comparison;
- :mod:`~mmtutor.transfer.distillation`: the distillation loss, the ``Distiller`` model,
  students trained with or without a teacher;
- :mod:`~mmtutor.transfer.imbalance`: linear probes of the encoders inside a fused model,
  the imbalance table, gradient-blending weights.

The backbone wrapper lives with the encoders: :func:`mmtutor.encoders.build_backbone_encoder`.
"""

from mmtutor.transfer.distillation import (
    Distiller,
    compare_students,
    distillation_loss,
    train_student,
)
from mmtutor.transfer.imbalance import (
    gradient_blend_weights,
    modality_imbalance,
    probe_accuracy,
    probe_encoders,
)
from mmtutor.transfer.multitask import (
    MultitaskResult,
    build_blended_model,
    build_multitask_model,
    compare_multitask,
    task_labels,
    task_results,
    train_multitask,
)
from mmtutor.transfer.reuse import (
    compare_label_budgets,
    copy_encoder,
    label_budget,
    make_speech_corpus,
    reuse_classifier,
    unfreeze_top,
)

__all__ = [
    "Distiller",
    "compare_label_budgets",
    "compare_students",
    "copy_encoder",
    "label_budget",
    "make_speech_corpus",
    "reuse_classifier",
    "unfreeze_top",
    "train_student",
    "MultitaskResult",
    "build_blended_model",
    "build_multitask_model",
    "compare_multitask",
    "distillation_loss",
    "gradient_blend_weights",
    "modality_imbalance",
    "probe_accuracy",
    "probe_encoders",
    "task_labels",
    "task_results",
    "train_multitask",
]
