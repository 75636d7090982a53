"""The demo catalog: real trainings on the data scikit-learn ships, datasets, models, a live run.

``build`` puts it together (once per home); ``trainings`` logs the runs, ``datasets`` registers
the dataset versions they read, ``models`` registers the best runs' models, ``live`` is the
training that runs while the app is open, and ``sklearn_data`` holds what they share.
"""
