"""``python -m mlops_desktop``: the same as the ``mlops-desktop`` command."""

from mlops_desktop.entry import main

raise SystemExit(main())
