"""Translation, generation and temporal alignment (notebook 11): producing one modality
from another, and finding which part of a recording goes with which symbol.

- :mod:`~mmtutor.translation.decoder`: :class:`CaptionDecoder`, a small Transformer decoder
  that writes a token sequence from modality embeddings (teacher forcing in training);
- :mod:`~mmtutor.translation.generation`: :func:`greedy_decode` and :func:`beam_search` to
  generate, and the word <-> token helpers;
- :mod:`~mmtutor.translation.autoencoder`: :func:`build_multimodal_autoencoder`, one joint
  embedding from which each modality is reconstructed, trained with modality dropout;
- :mod:`~mmtutor.translation.ctc`: :func:`build_ctc_recognizer`, speech -> digit string
  trained with CTC (``keras.losses.CTC``), decoded with ``keras.ops.ctc_decode``, and the
  alignment it learned (:func:`ctc_emissions`);
- :mod:`~mmtutor.translation.dtw`: :func:`dtw`, dynamic time warping of two feature
  sequences, with its path, and :func:`warp_times` to carry times through it.

Metrics of generated and recognised sequences (token accuracy, exact match, digit error
rate, alignment error) live in :mod:`mmtutor.evaluation.sequences`; the spoken digit
sequences in :mod:`mmtutor.data.sequences`.
"""

from mmtutor.translation.autoencoder import build_multimodal_autoencoder, joint_embedding_model
from mmtutor.translation.ctc import (
    BLANK,
    build_ctc_recognizer,
    ctc_emissions,
    ctc_frame_times,
    ctc_greedy_decode,
    ctc_targets,
)
from mmtutor.translation.decoder import CaptionDecoder, TransformerDecoderBlock
from mmtutor.translation.dtw import DTWResult, dtw, dtw_map, warp_times
from mmtutor.translation.generation import (
    END,
    START,
    beam_search,
    decode_tokens,
    encode_captions,
    greedy_decode,
    make_caption_vectorizer,
)

__all__ = [
    # decoder
    "START",
    "END",
    "CaptionDecoder",
    "TransformerDecoderBlock",
    "make_caption_vectorizer",
    "encode_captions",
    "decode_tokens",
    "greedy_decode",
    "beam_search",
    # autoencoder
    "build_multimodal_autoencoder",
    "joint_embedding_model",
    # ctc
    "BLANK",
    "build_ctc_recognizer",
    "ctc_targets",
    "ctc_frame_times",
    "ctc_greedy_decode",
    "ctc_emissions",
    # dtw
    "DTWResult",
    "dtw",
    "dtw_map",
    "warp_times",
]
