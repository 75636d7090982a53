"""The bundled program's script (PyInstaller freezes this file): see mlops_desktop.bundle_entry."""

from mlops_desktop.bundle_entry import main

raise SystemExit(main())
