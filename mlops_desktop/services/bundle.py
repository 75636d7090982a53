"""The app's services on one catalog: what the GUI's composition root and the commands open.

Adding a service is one field of :class:`Services` and one line of :meth:`Services.on_catalog`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from mlops_desktop.catalog.access import probe_access
from mlops_desktop.catalog.engine import Catalog
from mlops_desktop.core.access import CatalogAccess
from mlops_desktop.services.catalog_changes import CatalogChangeService
from mlops_desktop.services.catalog_open import open_catalog
from mlops_desktop.services.compute import JobService
from mlops_desktop.services.datasets import DatasetService
from mlops_desktop.services.experiments import ExperimentService
from mlops_desktop.services.hardware import HardwareService
from mlops_desktop.services.importing import ImportService
from mlops_desktop.services.lab_store import LabStoreService
from mlops_desktop.services.models import ModelService
from mlops_desktop.services.monitors import MonitorService
from mlops_desktop.services.palette_index import PaletteIndexService
from mlops_desktop.services.pipeline_triggers import PipelineTriggerService
from mlops_desktop.services.pipelines import PipelineService


@dataclass
class Services:
    """Every service of the app, sharing one open catalog; closed together.

    Attributes:
        home: the app's home folder (spools, artifacts, dataset blobs, settings).
        catalog: the open catalog the services share.
        experiments: experiments, runs, metrics, logs, notes, live ingest.
        datasets: datasets, versions, diffs, profiles, checkouts.
        models: the model registry.
        jobs: launching and following runs on local GPUs, SSH hosts and Slurm; hosts.
        hardware: live hardware of every machine, mapped to runs, and its stored history.
        monitors: drift monitors of models and datasets, their windows and alerts.
        palette: the names the command palette (Ctrl+K) finds.
        imports: MLflow stores and TensorBoard logs brought into the catalog.
        changes: what other desktops and programs change in the catalog, heard live.
        store: the lab store (recorded in the catalog) and this home's cache of it.
        pipelines: pipeline files, their stages' status, pipeline runs, gates and triggers.
        triggers: what starts pipelines besides a person (new dataset versions, monitor
            alerts, schedules); the app calls its ``check`` about once a minute. A monitor
            whose retrain command is ``pipeline:NAME`` starts that pipeline through it.
        access: whether this desktop may change the catalog (found once, when it opened);
            when not, the GUI shows every write action disabled with ``access.reason``.
    """

    home: Path
    catalog: Catalog
    experiments: ExperimentService
    datasets: DatasetService
    models: ModelService
    jobs: JobService
    hardware: HardwareService
    monitors: MonitorService
    palette: PaletteIndexService
    changes: CatalogChangeService
    store: LabStoreService
    pipelines: PipelineService
    triggers: PipelineTriggerService
    access: CatalogAccess

    @classmethod
    def open(
        cls, home: Path, catalog_url: str | None = None, *, gpu_lock_dir: Path | None = None
    ) -> Services:
        """Open (creating or migrating if needed) the catalog of ``home`` or ``catalog_url``.

        Args:
            gpu_lock_dir: the local GPU lease folder (default: the machine-wide one).

        Raises:
            CatalogUnavailable: the catalog cannot be created, read or reached.
        """
        home = Path(home)
        return cls.on_catalog(open_catalog(home, catalog_url or None), home, gpu_lock_dir)

    @classmethod
    def on_catalog(cls, catalog: Catalog, home: Path, gpu_lock_dir: Path | None = None) -> Services:
        """The services on an already open catalog (closing them disposes of it).

        Raises:
            CatalogUnavailable: the catalog's server cannot be reached to ask for its rights.
        """
        home = Path(home)
        experiments = ExperimentService(catalog, home)
        jobs = JobService(catalog, home, gpu_lock_dir)
        models = ModelService(catalog, home)
        datasets = DatasetService(catalog, home)
        store = LabStoreService(catalog, home)
        monitors = MonitorService(catalog, home, jobs, models, experiments)
        pipelines = PipelineService(catalog, home, jobs, models, datasets, store)
        triggers = PipelineTriggerService(
            catalog, datasets, monitors, pipelines.start, pipelines.recover
        )
        monitors.pipeline_triggers = triggers
        catalog.access = probe_access(catalog)
        return cls(
            home=home,
            catalog=catalog,
            experiments=experiments,
            datasets=datasets,
            models=models,
            jobs=jobs,
            hardware=HardwareService(catalog, home, experiments, jobs),
            monitors=monitors,
            palette=PaletteIndexService(catalog, home, jobs),
            changes=CatalogChangeService(catalog, home),
            store=store,
            pipelines=pipelines,
            triggers=triggers,
            access=catalog.access,
        )

    @property
    def imports(self) -> ImportService:
        """Importers of other tools' history (they write through the other services)."""
        return ImportService(self)

    def close(self) -> None:
        """Wait for the pipeline runs going in the background (what triggers started: an app
        cancels them first, :meth:`PipelineService.close`), close the executors' connections
        and dispose of the shared catalog (twice is harmless)."""
        self.pipelines.close()
        self.changes.close()
        self.hardware.close()
        self.jobs.close()

    def __enter__(self) -> Services:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
