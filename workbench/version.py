"""The application's version string, in the engine so that nothing below the CLI has to import the CLI."""

from __future__ import annotations

__version__ = "0.1.0"


def version_string() -> str:
    """Version plus build stamp when the build baked one in (``workbench/_build_info.py``, see packaging/)."""
    try:
        from workbench import _build_info  # type: ignore[attr-defined]

        return f"{__version__} (commit {_build_info.COMMIT}, built {_build_info.BUILD_DATE})"
    except ImportError:
        return __version__
