"""Entry point of the bundled app (PyInstaller runs this file as ``__main__``).

The network guard goes in before anything else is imported, so even an import-time "phone home" in a
dependency is refused and logged.
"""

from workbench import netguard

netguard.install()

from workbench.cli import main  # noqa: E402  (after the guard on purpose)

raise SystemExit(main())
