"""The Datasets pane: datasets, their versions, diffs, profiles and previews."""
