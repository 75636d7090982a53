"""What the Lightning and Keras integrations share: a ``fit`` that runs with one more callback,
and epoch metrics logged once per key and epoch."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from mlops_desktop.tracking.autolog.patching import FitGuard
from mlops_desktop.tracking.autolog.session import AutologConfig, AutologSession


class EpochMetrics:
    """Logs ``{key: value}`` at ``step=epoch``, each key at most once per epoch."""

    def __init__(self, session: AutologSession) -> None:
        self._session = session
        self._logged: set[tuple[str, int]] = set()
        self.last_epoch: int | None = None

    def log(self, values: Any, epoch: int) -> None:
        """Log the scalar entries of ``values`` (tensors and numpy numbers included)."""
        self.last_epoch = epoch
        metrics = {}
        for key, value in dict(values or {}).items():
            if (str(key), epoch) in self._logged:
                continue
            number = scalar(value)
            if number is not None:
                metrics[str(key)] = number
        if metrics:
            self._session.run.log_metrics(metrics, step=epoch)
            self._logged.update((key, epoch) for key in metrics)


def scalar(value: Any) -> float | None:
    """``value`` as a float when it is one number (a tensor or array of one element too)."""
    if isinstance(value, bool):
        return None
    item = getattr(value, "item", None)
    if callable(item):
        try:
            if getattr(value, "numel", lambda: 1)() != 1:
                return None
            value = item()
        except (ValueError, TypeError, RuntimeError):
            return None
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return None


Hook = Callable[[AutologSession, Any, tuple[Any, ...], dict[str, Any]], Any]


def fit_with_callback(
    flavor: str,
    config_of: Callable[[], AutologConfig | None],
    guard: FitGuard,
    original: Callable[..., Any],
    add_callback: Hook,
    after_fit: Callable[[AutologSession, Any, Any], None],
) -> Callable[..., Any]:
    """A ``fit`` that logs its outermost call.

    ``add_callback(session, self, args, kwargs)`` returns ``(args, kwargs, undo, callback)``:
    the arguments to call ``original`` with, a function that removes the callback again (or
    None), and the callback; ``after_fit(session, self, callback)`` logs what comes after the
    training. The user's fit result and exceptions pass through unchanged.
    """

    @functools.wraps(original)
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        config = config_of()
        if config is None or getattr(self, "global_rank", 0) != 0:
            return original(self, *args, **kwargs)
        with guard.enter() as outermost:
            if not outermost:
                return original(self, *args, **kwargs)
            session = AutologSession.begin(flavor, f"{type(self).__name__}.fit", config)
            if session is None:
                return original(self, *args, **kwargs)
            prepared = session.attempt(
                "the logging callback", add_callback, session, self, args, kwargs
            )
            call_args, call_kwargs, undo, state = prepared or (args, kwargs, None, None)
            try:
                result = original(self, *call_args, **call_kwargs)
            except BaseException as exc:
                if undo is not None:
                    session.attempt("the removal of the logging callback", undo)
                session.close(exc)
                raise
            if undo is not None:
                session.attempt("the removal of the logging callback", undo)
            session.attempt("what follows the training", after_fit, session, self, state)
            session.close()
            return result

    return fit
