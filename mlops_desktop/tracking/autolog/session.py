"""One autologged training call: its run, and the things that could not be logged.

Autologging never fails the training: every logging step runs through
:meth:`AutologSession.attempt`, which keeps the error, and :meth:`AutologSession.close` turns
whatever failed into ONE :class:`UserWarning` naming it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mlops_desktop.tracking import fluent
from mlops_desktop.tracking.run import Run

T = TypeVar("T")

AUTOLOG_TAG = "mlops.autologging"
"""Set on runs that autologging started itself; the value is the flavour ("sklearn"...)."""

MAX_PARAM_KEY_LENGTH = 250  # MLflow's MAX_ENTITY_KEY_LENGTH
MAX_PARAM_VALUE_LENGTH = 6000  # MLflow's MAX_PARAM_VAL_LENGTH


@dataclass(frozen=True)
class AutologConfig:
    """The arguments of an ``autolog()`` call, MLflow's names."""

    log_models: bool = True
    log_input_examples: bool = False
    log_model_signatures: bool = True
    exclusive: bool = False
    silent: bool = False
    max_tuning_runs: int | None = 5
    extra_tags: Mapping[str, Any] = field(default_factory=dict)
    registered_model_name: str | None = None
    log_checkpoints: bool = True


def loggable_params(params: Mapping[Any, Any]) -> dict[str, Any]:
    """``params`` ready to log: str, int, float, bool and None kept, anything else as its
    ``str``; keys and string values cut to MLflow's limits (250 and 6000 characters)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        name = str(key)[:MAX_PARAM_KEY_LENGTH]
        if value is not None and not isinstance(value, (str, int, float, bool)):
            value = str(value)
        if isinstance(value, str) and len(value) > MAX_PARAM_VALUE_LENGTH:
            value = value[:MAX_PARAM_VALUE_LENGTH]
        out[name] = value
    return out


class AutologSession:
    """The run one top-level training call logs to, and what failed on the way.

    Attributes:
        run: the active run, or one this session started (``owns_run``) and ends in
            :meth:`close`.
    """

    def __init__(self, flavor: str, what: str, config: AutologConfig, run: Run, owns: bool):
        self.flavor = flavor
        self.what = what
        self.config = config
        self.run = run
        self.owns_run = owns
        self._failures: dict[str, list[str]] = {}

    @classmethod
    def begin(cls, flavor: str, what: str, config: AutologConfig) -> AutologSession | None:
        """A session on the active run, or on a new one when none is active; None when
        nothing is to be logged (``exclusive`` and a run of the user's is active) or no run
        could be started (then a warning says why)."""
        try:
            active = fluent.active_run()
            if active is not None:
                return None if config.exclusive else cls(flavor, what, config, active, False)
            tags = {**config.extra_tags, AUTOLOG_TAG: flavor}
            run = fluent.start_run(tags=tags)
            return cls(flavor, what, config, run, True)
        except Exception as exc:
            if not config.silent:
                warnings.warn(
                    f"mlops_desktop autolog ({flavor}) logged nothing for {what}: no run could "
                    f"be started ({type(exc).__name__}: {exc}). The training itself went on.",
                    UserWarning,
                    stacklevel=4,
                )
            return None

    def attempt(self, label: str, step: Callable[..., T], *args: Any) -> T | None:
        """``step(*args)``, or None when it raised: the error is kept for the warning."""
        try:
            return step(*args)
        except Exception as exc:
            self.failed(label, exc)
            return None

    def failed(self, label: str, exc: BaseException) -> None:
        """Record that ``label`` could not be logged because of ``exc``."""
        reason = f"{type(exc).__name__}: {exc}".strip()
        if len(reason) > 300:
            reason = reason[:297] + "..."
        labels = self._failures.setdefault(reason, [])
        if label not in labels:
            labels.append(label)

    @property
    def failures(self) -> dict[str, list[str]]:
        """Reason -> the things that could not be logged for it."""
        return {reason: list(labels) for reason, labels in self._failures.items()}

    def close(self, error: BaseException | None = None) -> None:
        """End the run when this session started it ("failed" when the training raised
        ``error``, "killed" on KeyboardInterrupt), then warn once about what failed."""
        if self.owns_run and not self.run.ended:
            status = "finished"
            if isinstance(error, KeyboardInterrupt):
                status = "killed"
            elif error is not None:
                status = "failed"
            text = None if error is None else f"{type(error).__name__}: {error}"
            self.attempt("the end of the run", self.run.end, status, text)
        if self._failures and not self.config.silent:
            parts = [f"{', '.join(labels)} ({reason})" for reason, labels in self._failures.items()]
            warnings.warn(
                f"mlops_desktop autolog ({self.flavor}) could not log {'; '.join(parts)} for "
                f"{self.what} in run {self.run.id}. The training itself was not affected.",
                UserWarning,
                stacklevel=4,
            )
