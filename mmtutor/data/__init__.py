"""Datasets of the series. The embedded default is MM-Digits (:func:`load_mmdigits`);
controlled-interaction data comes from :func:`make_interactions`; real data (MNIST, FSDD,
AV-MNIST) from :func:`load_mnist`, :func:`load_fsdd`, :func:`build_avmnist`; your own
files from :func:`from_manifest`."""

from mmtutor.data.audio import decode_wav, pad_or_crop, scale_to_peak, write_wav
from mmtutor.data.avmnist import AVMNIST, build_avmnist
from mmtutor.data.download import DatasetNotFoundError, HashMismatchError
from mmtutor.data.fsdd import FSDDRecordings, load_fsdd
from mmtutor.data.interactions import INTERACTION_KINDS, InteractionData, make_interactions
from mmtutor.data.manifest import ManifestReport, from_manifest
from mmtutor.data.mmdigits import (
    CLASS_NAMES,
    DIGIT_ATTRIBUTES,
    MODALITIES,
    MMDigits,
    load_mmdigits,
    make_caption,
)
from mmtutor.data.mnist import load_mnist
from mmtutor.data.sequences import (
    DigitSequences,
    describe_digit,
    digit_lists,
    make_digit_sequences,
    speak_sequences,
)
from mmtutor.data.speech import SAMPLE_RATE
from mmtutor.data.splits import Split, SplitSet, grouped_split, make_imbalanced

__all__ = [
    "AVMNIST",
    "DatasetNotFoundError",
    "FSDDRecordings",
    "HashMismatchError",
    "ManifestReport",
    "build_avmnist",
    "from_manifest",
    "decode_wav",
    "load_fsdd",
    "load_mnist",
    "pad_or_crop",
    "scale_to_peak",
    "write_wav",
    "CLASS_NAMES",
    "DIGIT_ATTRIBUTES",
    "INTERACTION_KINDS",
    "InteractionData",
    "MODALITIES",
    "MMDigits",
    "SAMPLE_RATE",
    "Split",
    "SplitSet",
    "grouped_split",
    "load_mmdigits",
    "make_caption",
    "make_imbalanced",
    "make_interactions",
    "DigitSequences",
    "describe_digit",
    "digit_lists",
    "make_digit_sequences",
    "speak_sequences",
]
