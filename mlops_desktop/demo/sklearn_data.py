"""The data scikit-learn ships, as the demo's trainings, models and datasets read it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

TEST_SHARE = 0.25


def scaled_split(loader: Callable[..., Any], seed: int = 0) -> tuple[Any, Any, Any, Any]:
    """(x_train, x_test, y_train, y_test) of a scikit-learn loader such as ``load_wine``.

    A stratified quarter is held out; features are standardised with the training part's
    mean and deviation. The same seed gives the same split.
    """
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = loader(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=TEST_SHARE, random_state=seed, stratify=y
    )
    scaler = StandardScaler().fit(x_tr)
    return scaler.transform(x_tr), scaler.transform(x_te), y_tr, y_te


def column_names(feature_names: Iterable[Any]) -> list[str]:
    """Feature names usable as CSV column names (no ``/`` and no spaces)."""
    return [str(n).replace("/", "_").replace(" ", "_") for n in feature_names]
