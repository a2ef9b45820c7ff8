"""Entry point of the bundled app (PyInstaller runs this file as ``__main__``).

The network guard goes in before anything else is imported, so even an import-time "phone home" in a
dependency is refused and logged.
"""

from workbench import netguard

netguard.install()

import os  # noqa: E402

if os.environ.get("WORKBENCH_STARTUP_PROBE"):  # opt-in timing report (packaging/startup_probe.py)
    import startup_probe

    startup_probe.install()

from workbench.cli import main  # noqa: E402  (after the guard on purpose)

raise SystemExit(main())
