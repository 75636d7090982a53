"""Application services: what the GUI and the command line call. No Qt here.

Services wrap the catalog's repositories and return core dataclasses. They are synchronous and
may be slow: the GUI calls them on worker threads only (``ui/tasks.py``).
"""
