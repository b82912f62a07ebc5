"""Classical stacking (Wolpert, 1992): a meta-classifier fitted on held-out predictions (notebook 06)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Stacking", "fit_stacking"]


@dataclass
class Stacking:
    """Classical stacking (Wolpert, 1992): base models trained on the training split, and a
    meta-classifier fitted afterwards on their class probabilities for *held-out* examples
    (the validation split), which the base models never trained on. Built by
    :func:`fit_stacking`; taught in notebook 06."""

    models: dict
    meta: object
    test_accuracy: float

    def features(self, inputs: dict) -> np.ndarray:
        """The base models' class probabilities, side by side: (n, M * classes)."""
        from scipy.special import softmax

        from mmtutor.evaluation import embed

        logits = [embed(model, {t.name: inputs[t.name] for t in model.inputs})
                  for model in self.models.values()]  # fmt: skip
        return np.concatenate([softmax(z, axis=-1) for z in logits], axis=1)

    def predict(self, inputs: dict) -> np.ndarray:
        """Predicted classes of the stacked ensemble."""
        return self.meta.predict(self.features(inputs))


def fit_stacking(models: dict, data, meta=None) -> Stacking:
    """Fit a stacking meta-classifier on trained base models' validation-split predictions.

    Args:
        models: name -> trained classifier (logits), e.g. the unimodal baselines'
            ``result.model``; each reads its own inputs from the input dict.
        data: a dataset with ``val`` (held out from the base models' training: the
            meta-classifier is fitted there) and ``test`` splits.
        meta: a scikit-learn classifier (default: multinomial logistic regression).

    Returns:
        a :class:`Stacking` with the fitted meta-classifier and its test accuracy.

    Example:
        >>> stack = fit_stacking({m: r.model for m, r in baselines.items()}, data)  # doctest: +SKIP
        >>> round(stack.test_accuracy, 3)  # doctest: +SKIP
        0.93
    """
    from sklearn.linear_model import LogisticRegression

    if not isinstance(models, dict) or len(models) < 2:
        raise ValueError(f"models must be a dict of 2+ trained models, got {models!r:.80}")
    stack = Stacking(models=dict(models), meta=meta or LogisticRegression(max_iter=1000),
                     test_accuracy=float("nan"))  # fmt: skip
    stack.meta.fit(stack.features(data.val.x), data.val.y)
    stack.test_accuracy = float(np.mean(stack.predict(data.test.x) == data.test.y))
    return stack
