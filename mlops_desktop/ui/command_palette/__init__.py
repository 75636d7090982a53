"""The command palette (Ctrl+K): find runs, experiments, datasets, models, hosts, monitors,
pipelines and menu actions by fuzzy name, and go there, with the keyboard only."""

from mlops_desktop.ui.command_palette.popup import CommandPalette

__all__ = ["CommandPalette"]
