"""Command line: ``workbench [COMMAND] ...``.

Each sub-command lives in its own module with a ``register(subparsers)`` function that adds its parser and
sets ``func`` (a callable taking the parsed args and returning an exit code). Errors users can cause
(:class:`WorkbenchError`) print one line to stderr and exit 2, without a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from workbench.errors import WorkbenchError
from workbench.version import version_string  # noqa: F401  (re-exported for existing callers)

# Sub-command modules, in the order they appear in --help. A module that is missing (an optional part not
# installed) is skipped rather than breaking the whole CLI.
COMMAND_MODULES = (
    "workbench.cli.explore",
    "workbench.cli.anomaly",
    "workbench.cli.experiment",
    "workbench.cli.impact",
    "workbench.cli.dashboard",
    "workbench.cli.watch_cmd",
    "workbench.cli.evidence",
    "workbench.cli.workspace_cmd",  # after evidence: adds `new` beside its `workspace check`
    "workbench.cli.mcp_cmd",
    "workbench.cli.selftest",
    "workbench.cli.reconcile_cmd",
    "workbench.cli.check_cmd",
)


# Where each top-level command is registered, so `workbench metric ...` imports only the module it needs
# (importing all of them costs a second of start-up). A command missing here still works: every module is
# then imported, as for --help.
COMMAND_HOME = {
    "open": "workbench.cli.explore",
    "demo": "workbench.cli.explore",
    "schema": "workbench.cli.explore",
    "metric": "workbench.cli.explore",
    "sql": "workbench.cli.explore",
    "profile": "workbench.cli.explore",
    "anomalies": "workbench.cli.anomaly",
    "explain": "workbench.cli.anomaly",
    "alerts": "workbench.cli.anomaly",
    "experiment": "workbench.cli.experiment",
    "impact": "workbench.cli.impact",
    "audit": "workbench.cli.evidence",
    "fingerprint": "workbench.cli.evidence",
    "self-test": "workbench.cli.selftest",
}


class _Parser(argparse.ArgumentParser):
    _intermixing = False

    def parse_known_args(self, args=None, namespace=None):
        """Options may come before, between or after positionals (`sql PATH --workspace W.wbk "SELECT"`):
        plain argparse stops filling positionals at the first option and rejects the rest. Parsers with
        sub-commands keep the plain behaviour (argparse cannot intermix those)."""
        if self._intermixing or any(isinstance(a, argparse._SubParsersAction) for a in self._actions):
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False

    def error(self, message: str):  # one clear line instead of argparse's usage dump + exit 2
        self.exit(2, f"workbench: {message} (see 'workbench --help')\n")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The full parser; with ``command`` (a name in COMMAND_HOME) only the module that registers it."""
    parser = _Parser(prog="workbench", description="Offline analyst workbench for local Parquet extracts.")
    parser.add_argument("--version", action="version", version=f"workbench {version_string()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    modules = [COMMAND_HOME[command]] if command in COMMAND_HOME else COMMAND_MODULES
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        module.register(sub)
    return parser


def launch_gui(paths: list[str] | None = None, demo: bool = False) -> int:
    """Start the desktop app. Imported lazily: the engine itself never loads Qt."""
    app = importlib.import_module("widgets.app")
    return int(app.main(paths=paths or [], demo=demo) or 0)


def main(argv: list[str] | None = None) -> int:
    from workbench import netguard

    netguard.install()  # no network, ever: refuse and log any socket connect (see workbench/netguard.py)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--self-test"]:  # the documented top-level flag is the `self-test` sub-command
        argv[0] = "self-test"
    if argv == ["--version"]:  # answered before any command module is imported
        print(f"workbench {version_string()}")
        return 0
    parser = build_parser(argv[0] if argv and "-h" not in argv and "--help" not in argv else None)
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        return launch_gui(demo=True)
    try:
        return int(args.func(args) or 0)
    except WorkbenchError as exc:
        print(f"workbench: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("workbench: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
