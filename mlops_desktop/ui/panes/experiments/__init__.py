"""The Experiments pane: experiments, the runs table, and run detail, charts and compare."""
