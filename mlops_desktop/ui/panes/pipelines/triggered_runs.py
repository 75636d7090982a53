"""The Pipelines pane following the runs that triggers start in the background.

A run a trigger started (a new dataset version, a monitor's alert, a schedule) goes on in the
pipeline service's background, not on a worker of the pane; the app's trigger loop
(:class:`~mlops_desktop.ui.pipeline_triggers.PipelineTriggerLoop`) hands its stages and its end
over queued signals. The pane shows them as it shows a run of its own Run button: the graph
follows the stages of the chosen pipeline's run, the runs list and the trigger history reload,
Run is off and Cancel run cancels it while it goes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlops_desktop.core.pipelines import PipelineRunInfo, StageRun

if TYPE_CHECKING:
    from mlops_desktop.services.pipelines import PipelineService
    from mlops_desktop.ui.panes.pipelines.pane import PipelinesPane
    from mlops_desktop.ui.pipeline_triggers import PipelineTriggerLoop


def follow_triggered_runs(pane: PipelinesPane, loop: PipelineTriggerLoop) -> None:
    """Show ``loop``'s background runs in ``pane`` live."""

    def on_stage(name: str, stage_run: StageRun) -> None:
        current = pane.current_info()
        if current is None or current.name != name or pane.runs.is_running(name):
            return
        if pane.view.live_run is None:  # the run's first change: the graph follows it
            pane.view.start_live()
        pane._on_stage_changed(name, stage_run)
        pane._update_actions()  # Run off, Cancel run on while it goes

    def on_end(run: PipelineRunInfo) -> None:
        current = pane.current_info()
        shown = current is not None and current.name == run.pipeline
        if shown and not pane.runs.is_running(run.pipeline):
            pane.view.end_live(run)
        pane.refresh()
        pane._update_actions()

    loop.stageChanged.connect(on_stage)
    loop.runEnded.connect(on_end)
    loop.fired.connect(lambda _events: pane.refresh())


def triggered_going(source: PipelineService, name: str) -> bool:
    """Whether a run of pipeline ``name`` that a trigger started goes on here."""
    return name in source.going().values()


def cancel_triggered(source: PipelineService, name: str) -> bool:
    """Cancel the runs of pipeline ``name`` that triggers started here; False when none goes."""
    ids = [run_id for run_id, pipeline in source.going().items() if pipeline == name]
    for run_id in ids:
        source.cancel(run_id)
    return bool(ids)
