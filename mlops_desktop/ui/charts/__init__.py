"""pyqtgraph chart widgets that take plain data (MetricSeries, RunSummary), never services' rows.

- ``metric_chart.MetricChart``: one metric of several runs overlaid (smoothing, log scale, x axis).
- ``metric_panel.MetricPanel``: controls plus a MetricChart, loading through the TaskRunner.
- ``parallel_coords.ParallelCoordinatesView``: params and metrics of runs on parallel axes.
- ``param_diff.ParamDiffModel`` / ``ParamDiffView``: params and tags that differ between runs.
"""
