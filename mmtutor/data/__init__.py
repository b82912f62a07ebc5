"""Datasets of the series. The embedded default is MM-Digits (:func:`load_mmdigits`);
controlled-interaction data comes from :func:`make_interactions`."""

from mmtutor.data.interactions import INTERACTION_KINDS, InteractionData, make_interactions
from mmtutor.data.mmdigits import (
    CLASS_NAMES,
    DIGIT_ATTRIBUTES,
    MODALITIES,
    MMDigits,
    Split,
    grouped_split,
    load_mmdigits,
    make_caption,
)
from mmtutor.data.speech import SAMPLE_RATE

__all__ = [
    "CLASS_NAMES",
    "DIGIT_ATTRIBUTES",
    "INTERACTION_KINDS",
    "InteractionData",
    "MODALITIES",
    "MMDigits",
    "SAMPLE_RATE",
    "Split",
    "grouped_split",
    "load_mmdigits",
    "make_caption",
    "make_interactions",
]
