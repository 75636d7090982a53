"""The Pipelines pane: the stage graph of each pipeline, its runs, gates and triggers."""
