"""Errors a user can cause. Each carries a message a person can act on; the CLI prints it, the GUI
shows it in a banner, and neither shows a traceback."""


class WorkbenchError(Exception):
    """Base class for every error caused by input (files, specs, SQL), not by a bug."""


class SourceError(WorkbenchError):
    """A file, folder or glob cannot be opened as a data source."""


class RemotePathError(SourceError):
    """A remote path (http, s3, ...) was given; Workbench only reads local files."""


class SpecError(WorkbenchError):
    """A metric, experiment or detector specification does not fit the data."""


class QueryError(WorkbenchError):
    """DuckDB refused or failed a query."""


class QueryCancelled(WorkbenchError):
    """The query was interrupted on request."""


class UnknownTableError(QueryError):
    """A query named a table or view that is not open."""


class DialectError(WorkbenchError):
    """A query uses something the target engine's SQL cannot express (e.g. a DuckDB-only function on Spark)."""
