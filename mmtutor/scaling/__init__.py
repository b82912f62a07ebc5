"""Scaling and deployment (notebook 16): input pipelines, mixed precision, ``tf.distribute``
across devices and processes, export for serving, and the cost of each fusion method.

- :mod:`~mmtutor.scaling.pipeline`: file-based ``tf.data`` pipelines and their throughput;
- :mod:`~mmtutor.scaling.precision`: dtype policies (mixed bfloat16 / float16);
- :mod:`~mmtutor.scaling.distribute`: logical CPUs, ``TF_CONFIG``, the custom training loop
  that runs under any ``tf.distribute`` strategy;
- :mod:`~mmtutor.scaling.serving`: a model on raw inputs, SavedModel and LiteRT export,
  a fresh-process reload, latency;
- :mod:`~mmtutor.scaling.cost`: FLOPs and the Pareto front.

The names are imported on first use, so a launcher that needs only :func:`tf_config` and
:func:`free_ports` does not import TensorFlow.
"""

from __future__ import annotations

import importlib

__all__ = [
    "PIPELINE_VARIANTS",
    "POLICIES",
    "LoopResult",
    "RequireText",
    "build_serving_model",
    "count_flops",
    "dtype_policy",
    "file_pipeline",
    "folder_size",
    "format_ms",
    "format_rate",
    "free_ports",
    "layer_dtypes",
    "litert_predict",
    "measure_latency",
    "measure_throughput",
    "pareto_front",
    "predict_in_fresh_process",
    "split_text_vectorizer",
    "tf_config",
    "train_custom_loop",
    "use_logical_cpus",
    "write_split_files",
]

_HOMES = {
    "cost": ("count_flops", "pareto_front"),
    "distribute": ("LoopResult", "free_ports", "tf_config", "train_custom_loop",
                   "use_logical_cpus"),
    "pipeline": ("PIPELINE_VARIANTS", "file_pipeline", "format_rate", "measure_throughput",
                 "write_split_files"),
    "precision": ("POLICIES", "dtype_policy", "layer_dtypes"),
    "serving": ("RequireText", "build_serving_model", "folder_size", "format_ms",
                "litert_predict", "measure_latency", "predict_in_fresh_process",
                "split_text_vectorizer"),
}  # fmt: skip
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str):
    if name in _MODULE_OF:
        return getattr(importlib.import_module(f"mmtutor.scaling.{_MODULE_OF[name]}"), name)
    if name in _HOMES:
        return importlib.import_module(f"mmtutor.scaling.{name}")
    raise AttributeError(f"module 'mmtutor.scaling' has no attribute {name!r}")
