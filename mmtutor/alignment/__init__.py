"""Contrastive alignment (notebook 10): two encoders trained to agree on paired examples,
without labels.

- :class:`CLIPLoss`: the symmetric InfoNCE loss of CLIP (Radford et al., 2021; van den Oord
  et al., 2018), a cross-entropy over the batch's similarity matrix, with a learnable,
  log-parametrised temperature clipped as in CLIP;
- :class:`SigLIPLoss`: the pairwise sigmoid loss of SigLIP (Zhai et al., 2023) with its
  learnable temperature and bias;
- :class:`DualEncoder`: any two encoders of the series, each followed by a linear
  projection head and L2 normalisation, trained by one of those losses in a ``train_step``
  that notebook 10 shows in full;
- :func:`embed_split`, :func:`similarity_matrix`, :func:`zero_shot_classify`: embed a split,
  compare two sets of embeddings, classify through one prompt per class;
- :func:`label_subset`, :func:`linear_probe`: the linear-probe protocol (a fraction of the
  labels, a logistic regression on frozen embeddings).

The layers and the model use only ``keras``, ``layers``, ``ops`` and ``np`` (the model's
``train_step`` imports TensorFlow for its gradient tape, the series' backend): what
``mmtutor.show_source`` prints runs when copied into a file with those imports. Retrieval
metrics live in :mod:`mmtutor.evaluation.retrieval`.
"""

from mmtutor.alignment.dual_encoder import DualEncoder, embed_split
from mmtutor.alignment.embeddings import (
    label_subset,
    linear_probe,
    similarity_matrix,
    zero_shot_classify,
)
from mmtutor.alignment.losses import CLIPLoss, SigLIPLoss

__all__ = [
    "CLIPLoss",
    "DualEncoder",
    "SigLIPLoss",
    "embed_split",
    "label_subset",
    "linear_probe",
    "similarity_matrix",
    "zero_shot_classify",
]
