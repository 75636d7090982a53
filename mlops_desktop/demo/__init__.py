"""The demo catalog: real trainings on bundled data, datasets, models and a live run."""
