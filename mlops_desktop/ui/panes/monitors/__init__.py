"""The Monitors pane: live hardware of every machine, per process and per run."""
