"""Accuracy of a classification network: the share of samples whose predicted class is the target's class.

A network classifies when its loss is ``bce`` (sigmoid outputs) or ``cross_entropy`` (softmax outputs). With one
output the predicted class is 1 when y ≥ ½ (the decision boundary the Outputs view draws) and the target's class is
1 when t ≥ ½; with K outputs both are the index of the largest value (the first one on a tie), so one-hot targets
give their label.
"""

from __future__ import annotations

import numpy as np

#: the losses of classification networks
CLASSIFICATION_LOSSES = ("bce", "cross_entropy")


def is_classification(loss: str) -> bool:
    """Whether a network with this loss classifies (so an accuracy means something)."""
    return loss in CLASSIFICATION_LOSSES


def has_accuracy(loss: str, targets: np.ndarray) -> bool:
    """Whether an accuracy means something: the network classifies and the targets (N × outputs) name classes
    (not values to fit, such as the ``bump`` data under a bce loss): two classes, or K > 2 outputs whose largest
    target names the class."""
    from .datasets import names_classes

    t = np.asarray(targets)
    return is_classification(loss) and (names_classes(t) or (t.ndim == 2 and t.shape[1] > 2))  # K classes: argmax


def predicted_classes(outputs: np.ndarray) -> np.ndarray:
    """The class of each row of ``outputs`` (N × K, sample-major): y ≥ ½ for one output, else the argmax."""
    outputs = np.asarray(outputs, dtype=float)
    if outputs.shape[1] == 1:
        return (outputs[:, 0] >= 0.5).astype(int)
    return np.argmax(outputs, axis=1)


def accuracy(outputs: np.ndarray, targets: np.ndarray) -> float | None:
    """The share in [0, 1] of rows whose predicted class matches the target's class; None for no rows. Rows whose
    outputs are not finite count as wrong."""
    outputs = np.asarray(outputs, dtype=float)
    targets = np.asarray(targets, dtype=float)
    if len(outputs) == 0:
        return None
    right = predicted_classes(outputs) == predicted_classes(targets)
    right &= np.isfinite(outputs).all(axis=1)
    return float(np.mean(right))


def percent(share: float) -> str:
    """An accuracy as people read it, to one decimal: "93.5 %". Only all right reads "100.0 %" and only all wrong
    "0.0 %" (one wrong point in 10,000 is "99.9 %", not a rounded "100.0 %")."""
    text = f"{100.0 * share:.1f} %"
    if text == "100.0 %" and share < 1.0:
        return "99.9 %"
    if text == "0.0 %" and share > 0.0:
        return "0.1 %"
    return text
