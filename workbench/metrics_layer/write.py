"""Write a metrics file back as YAML (what the metrics editor and the template wizard save).

The file keeps the shape it is read in (version, metrics, dashboards; tiles as one-line mappings), so a
file written here reads back to the same definitions. Comments in a hand-written file are not kept.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

from workbench.metrics_layer.model import MetricsFile


class _Dumper(yaml.SafeDumper):
    pass


class _Flow(dict):
    """A mapping written on one line ({kpi: violation_rate})."""


_Dumper.add_representer(
    _Flow, lambda d, data: d.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)
)


def dump_metrics(metrics_file: MetricsFile) -> str:
    doc = metrics_file.to_dict()
    for board in doc.get("dashboards", []):
        board["range"] = _Flow(board["range"])
        board["tiles"] = [_Flow(t) for t in board["tiles"]]
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)


def save_metrics(metrics_file: MetricsFile, path: str | os.PathLike | None = None) -> Path:
    """Write atomically (a crash mid-save leaves the old file, never half a file)."""
    target = Path(path or metrics_file.path)
    text = dump_metrics(metrics_file)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
