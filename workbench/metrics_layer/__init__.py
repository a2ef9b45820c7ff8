"""The metrics layer: metrics defined once in a YAML file and picked by name everywhere."""

from workbench.metrics_layer.model import DashboardDef, MetricDef, MetricsFile, MetricsFileError, TileDef
from workbench.metrics_layer.parse import check_file, check_text, load_metrics, parse_text

__all__ = [
    "DashboardDef",
    "MetricDef",
    "MetricsFile",
    "MetricsFileError",
    "TileDef",
    "check_file",
    "check_text",
    "load_metrics",
    "parse_text",
]
