"""The Models pane: the registry's models, versions, aliases, cards and lineage."""
