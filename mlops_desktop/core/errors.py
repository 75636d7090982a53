"""Errors split into the user's environment or input (say so plainly) and bugs.

Every error a person can cause or fix derives from :class:`UserFacingError`; the command
line prints its message without a traceback and the GUI shows it in a dialog or status bar.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """An error caused by input or environment, with a sentence a person can act on."""


class CatalogUnavailable(UserFacingError):
    """The catalog cannot be used right now: locked, disk full, read-only, unreachable."""


class RunNotFound(UserFacingError):
    """No run matches the given id or id prefix."""


class ExperimentNotFound(UserFacingError):
    """No experiment has the given name."""


class MetricNotFound(UserFacingError):
    """A run has no metric with the given key."""


class QueryError(UserFacingError):
    """A malformed run filter.

    Attributes:
        column: 1-based column in the query where it went wrong.
        query: the query text.
    """

    def __init__(self, message: str, query: str, column: int) -> None:
        self.reason = message
        self.query = query
        self.column = column
        pointer = " " * (column - 1) + "^"
        super().__init__(f"{message} at column {column}:\n  {query}\n  {pointer}")


class DatasetNotFound(UserFacingError):
    """No dataset (or no such version of it) has the given name."""


class DatasetError(UserFacingError):
    """A dataset cannot be registered, read, profiled or restored (the message says why)."""


class OperationCancelled(UserFacingError):
    """Long work was cancelled by the person who started it."""


class ModelNotFound(UserFacingError):
    """No model, version or alias has the given name."""


class ModelError(UserFacingError):
    """A model operation was refused or failed (the message says why and what to do)."""


class ArchiveError(UserFacingError):
    """An archive is unsafe or damaged; nothing was written."""


class JobError(UserFacingError):
    """A job cannot be launched, found or cancelled (the message says why)."""


class HostError(UserFacingError):
    """An SSH host or cluster cannot be reached or used (the message says why)."""


class HostKeyUnconfirmed(HostError):
    """A new host's key must be confirmed by the person first.

    Attributes:
        fingerprint: "SHA256:..." of the key the host offered.
    """

    def __init__(self, message: str, fingerprint: str) -> None:
        super().__init__(message)
        self.fingerprint = fingerprint


class HostKeyChanged(HostError):
    """A known host offered a different key: refused, with both fingerprints.

    Attributes:
        stored: "SHA256:..." of the key the app knows ("" when unknown).
        offered: "SHA256:..." of the key the host offers now ("" when unknown).
    """

    def __init__(self, message: str, stored: str = "", offered: str = "") -> None:
        super().__init__(message)
        self.stored = stored
        self.offered = offered


class DriftError(UserFacingError):
    """Drift cannot be computed: a table is empty or unreadable, a method is unknown, ..."""


class MonitorNotFound(UserFacingError):
    """No monitor (or no alert, or no window of a monitor) has the given name or id."""


class MonitorError(UserFacingError):
    """A monitor cannot be created or checked (the message says why and what to do)."""


class CatalogNotWritable(CatalogUnavailable):
    """The catalog can be read but takes no writes now: its disk is full or it is read-only."""


class SandboxUnavailableError(UserFacingError):
    """No sandbox can isolate the model's loader here; loading it needs the person's consent."""


class ArtifactUnreadable(UserFacingError):
    """A run's artifact cannot be previewed or opened (gone, outside the store, unreadable)."""


class DemoBuildFailed(UserFacingError):
    """Building the demo catalog from the app failed (the message says how to see why)."""


class RunEditError(UserFacingError):
    """A run cannot be renamed, tagged, moved to the trash or restored (the message says why)."""


class LaunchCheckFailed(JobError):
    """A launch was refused before anything started: its program, script or interpreter is
    missing on the target.

    Attributes:
        field: the form field the sentence is about: "command" or "python".
    """

    def __init__(self, message: str, field: str = "command") -> None:
        super().__init__(message)
        self.field = field


class SlurmNotAnswering(HostError):
    """A Slurm cluster's command failed; the message is one sentence with the likely reason.

    Attributes:
        details: the command's raw output, for a details view or a tooltip.
    """

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


class TensorBoardImportError(UserFacingError):
    """TensorBoard logs cannot be imported: the folder is missing or holds no event files."""


class MlflowImportError(UserFacingError):
    """An MLflow store cannot be imported: the path or URI is not a store this app reads."""


class StoreError(UserFacingError):
    """The lab store cannot be set or used as asked (the message says why and what to do)."""


class StoreUnreachable(StoreError):
    """The lab store cannot be reached now; blobs already in this home or its cache still work."""


class PipelineError(UserFacingError):
    """A pipeline file cannot be run as written (a cycle, a missing dep, an unknown param key,
    an undeclared out...): one sentence that names the stage and what to change; nothing ran."""
