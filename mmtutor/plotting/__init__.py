"""Every figure the notebooks draw. Each function returns the Matplotlib ``Figure``;
notebooks end the cell with ``plt.show()`` so that no object repr is printed.

One module per subject; every name is re-exported here (``plotting.plot_history``):

- :mod:`~mmtutor.plotting.data`: images, waveforms and spectrograms, class balance,
  controlled interactions, feature distributions, an audio player;
- :mod:`~mmtutor.plotting.training`: learning curves;
- :mod:`~mmtutor.plotting.encoders`: convolution filters, feature maps, filterbanks and
  their responses, embeddings in 2-D, attention;
- :mod:`~mmtutor.plotting.evaluation`: confusion matrices, method comparisons,
  reliability diagrams, robustness curves, saliency, modality importance;
- :mod:`~mmtutor.plotting.fusion`: modality weights, fusion weights.

Importing it changes no Matplotlib setting (backend, rcParams): ``mmtutor.setup()`` sets
the plot style.
"""

from __future__ import annotations

from mmtutor.plotting.alignment import (
    plot_retrieved_images,
    plot_similarity_matrices,
    plot_sweeps,
)
from mmtutor.plotting.data import (
    audio_player,
    plot_class_balance,
    plot_feature_distributions,
    plot_image_grid,
    plot_interaction_data,
    plot_spectrogram_grid,
    plot_waveform_and_spectrogram,
)
from mmtutor.plotting.encoders import (
    plot_attention,
    plot_conv_filters,
    plot_embeddings_2d,
    plot_feature_maps,
    plot_filter_responses,
    plot_filterbank,
    plot_spectrogram_feature_maps,
)
from mmtutor.plotting.evaluation import (
    plot_confusion_matrix,
    plot_method_comparison,
    plot_modality_importance,
    plot_reliability_diagram,
    plot_robustness_curves,
    plot_saliency,
)
from mmtutor.plotting.fusion import plot_fusion_weights, plot_modality_weights
from mmtutor.plotting.scaling import plot_pareto, plot_throughput
from mmtutor.plotting.training import plot_history
from mmtutor.plotting.transfer import plot_modality_imbalance
from mmtutor.plotting.translation import (
    plot_ctc_alignment,
    plot_dtw_path,
    plot_image_rows,
    plot_spoken_sequence,
)

__all__ = [
    # data
    "plot_image_grid",
    "plot_waveform_and_spectrogram",
    "plot_spectrogram_grid",
    "plot_class_balance",
    "plot_interaction_data",
    "plot_feature_distributions",
    "audio_player",
    # training
    "plot_history",
    # encoders
    "plot_conv_filters",
    "plot_feature_maps",
    "plot_spectrogram_feature_maps",
    "plot_filterbank",
    "plot_filter_responses",
    "plot_embeddings_2d",
    "plot_attention",
    # evaluation
    "plot_confusion_matrix",
    "plot_method_comparison",
    "plot_reliability_diagram",
    "plot_robustness_curves",
    "plot_saliency",
    "plot_modality_importance",
    # fusion
    "plot_modality_weights",
    "plot_fusion_weights",
    # alignment
    "plot_similarity_matrices",
    "plot_retrieved_images",
    "plot_sweeps",
    # scaling
    "plot_throughput",
    "plot_pareto",
    # transfer
    "plot_modality_imbalance",
    # translation
    "plot_image_rows",
    "plot_spoken_sequence",
    "plot_ctc_alignment",
    "plot_dtw_path",
]
