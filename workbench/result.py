"""An Arrow-free query result: one NumPy array per column (masked where NULL) plus DuckDB's type names.

The app's run-time paths never need pyarrow (the standalone bundle leaves it out, 74 MB): DuckDB hands
results over through ``fetchnumpy``, which keeps NULL apart from NaN, and cells become Python values only
when asked for (a block of rows at a time in the grid), so a 100,000-row result stays compact.

DECIMAL and HUGEINT/UHUGEINT (``sum()`` of integers) would arrive as float64 on DuckDB's NumPy path, so
they are fetched as text in the same query and become exact ``Decimal``/``int`` when read. Known
differences from Arrow's conversion: INTERVAL arrives as ``timedelta`` (months counted as 30 days),
TIMESTAMP_NS is cut to microseconds.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re

import numpy as np

_UTC = dt.timezone.utc
_EXACT = re.compile(r"^(U?HUGEINT|DECIMAL\(\d+,\s*\d+\))$")  # fetched as text, parsed when read


def _python(value):
    """A NumPy scalar/array cell as the plain Python value a grid, CSV or JSON writer expects."""
    if isinstance(value, np.ndarray):  # LIST/ARRAY cells
        return [_python(v) for v in value.tolist()] if value.dtype == object else value.tolist()
    if isinstance(value, dict):  # STRUCT/MAP cells
        return {k: _python(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_python(v) for v in value]
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


class Result:
    """Columns of one query result.

    Parameters
    ----------
    names : column names, in order.
    arrays : one 1-D NumPy array per column (``numpy.ma.MaskedArray`` where a column has NULLs).
    types : DuckDB type names (``"BIGINT"``, ``"TIMESTAMP WITH TIME ZONE"``, ...), one per column.
    """

    def __init__(self, names: list[str], arrays: list[np.ndarray], types: list[str]):
        self._names = list(names)
        self._arrays = list(arrays)
        self._types = [str(t) for t in types]
        self._rows = len(self._arrays[0]) if self._arrays else 0

    # ------------------------------------------------------------------ construction
    @classmethod
    def empty(cls) -> Result:
        return cls([], [], [])

    @classmethod
    def from_relation(cls, relation) -> Result:
        """Fetch a DuckDB relation (runs it) into NumPy columns."""
        names, types = list(relation.columns), [str(t) for t in relation.types]
        if any(_EXACT.match(t) for t in types) and len(set(names)) == len(names):
            from workbench import sql

            relation = relation.project(
                ", ".join(
                    f"CAST({sql.ident(n)} AS VARCHAR) AS {sql.ident(n)}" if _EXACT.match(t) else sql.ident(n)
                    for n, t in zip(names, types)
                )
            )
        fetched = relation.fetchnumpy()  # in column order; duplicate names come back suffixed (a, a_1)
        return cls(names, list(fetched.values()), types)

    @classmethod
    def from_pandas(cls, frame) -> Result:
        """A pandas DataFrame (NaN/NaT/None/pd.NA are NULL, as Arrow's ``from_pandas`` treated them)."""
        import pandas as pd

        names, arrays, types = [], [], []
        for i, name in enumerate(frame.columns):
            s = frame.iloc[:, i]
            na = s.isna().to_numpy(dtype=bool)
            dtype = s.dtype
            if isinstance(dtype, np.dtype) and dtype.kind in "iufbmM":
                values = s.to_numpy()
                kind = {
                    "i": "BIGINT",
                    "u": "UBIGINT",
                    "f": "DOUBLE",
                    "b": "BOOLEAN",
                    "m": "INTERVAL",
                    "M": "TIMESTAMP",
                }[dtype.kind]
            elif isinstance(dtype, pd.DatetimeTZDtype):
                values = s.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
                kind = "TIMESTAMP WITH TIME ZONE"
            elif pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):  # Int64, boolean, Float64
                numpy_dtype = np.dtype(getattr(dtype, "numpy_dtype", "float64"))
                fill = False if numpy_dtype.kind == "b" else 0
                values = s.to_numpy(dtype=numpy_dtype, na_value=fill)
                kind = "BOOLEAN" if numpy_dtype.kind == "b" else "DOUBLE" if numpy_dtype.kind == "f" else "BIGINT"
            else:  # str, object, category
                values = s.astype(object).to_numpy(dtype=object)
                kind = (
                    "VARCHAR"
                    if pd.api.types.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype)
                    else "OBJECT"
                )
            names.append(str(name))
            arrays.append(np.ma.MaskedArray(values, mask=na) if na.any() else values)
            types.append(kind)
        return cls(names, arrays, types)

    @classmethod
    def coerce(cls, table) -> Result:
        """A Result from a Result, a pandas DataFrame, an Arrow table (read through DuckDB) or None."""
        if table is None:
            return cls.empty()
        if isinstance(table, Result):
            return table
        if type(table).__module__.startswith("pyarrow"):  # callers that still have one (tests, plug-ins)
            from workbench.backend.duckdb_backend import result_from_arrow

            return result_from_arrow(table)
        return cls.from_pandas(table)

    # ------------------------------------------------------------------ shape
    @property
    def column_names(self) -> list[str]:
        return list(self._names)

    @property
    def types(self) -> list[str]:
        return list(self._types)

    @property
    def num_rows(self) -> int:
        return self._rows

    @property
    def num_columns(self) -> int:
        return len(self._names)

    def __len__(self) -> int:
        return self._rows

    def is_numeric(self, col: int) -> bool:
        from workbench.backend import ColumnKind, column_kind

        return column_kind(self._types[col]) is ColumnKind.NUMERIC

    def _index(self, key) -> int:
        return key if isinstance(key, int) else self._names.index(key)

    # ------------------------------------------------------------------ values
    def column(self, key, start: int = 0, length: int | None = None) -> list:
        """Python values of one column (by index or name), optionally a slice; NULL is None."""
        col = self._index(key)
        arr = self._arrays[col]
        stop = self._rows if length is None else min(self._rows, start + length)
        part = arr[start:stop]
        mask = np.ma.getmaskarray(part) if isinstance(part, np.ma.MaskedArray) else None
        data = np.ma.getdata(part)
        kind = self._types[col].upper()
        if data.dtype.kind == "M":
            if data.dtype != np.dtype("datetime64[us]"):
                data = data.astype("datetime64[us]")
            nat = np.isnat(data)
            values = data.astype(object).tolist()
            if kind == "DATE":
                values = [v.date() if isinstance(v, dt.datetime) else v for v in values]
            elif "TIME ZONE" in kind:
                values = [v.replace(tzinfo=_UTC) if isinstance(v, dt.datetime) else v for v in values]
            if nat.any():
                values = [None if n else v for v, n in zip(values, nat)]
        elif data.dtype.kind == "m":
            values = data.astype("timedelta64[us]").astype(object).tolist()
        elif _EXACT.match(kind) and data.dtype == object:  # exact numbers fetched as text
            parse = int if "HUGEINT" in kind else decimal.Decimal
            hidden = mask.tolist() if mask is not None else [False] * len(data)
            values = [None if (h or v is None) else parse(v) for v, h in zip(data.tolist(), hidden)]
        elif data.dtype == object:
            values = [_python(v) for v in data.tolist()]
        else:
            values = data.tolist()
        if mask is not None and mask.any():
            values = [None if m else v for v, m in zip(values, mask.tolist())]
        return values

    def to_pylist(self) -> list[dict]:
        """Rows as dicts (column name -> Python value)."""
        cols = [self.column(i) for i in range(self.num_columns)]
        return [dict(zip(self._names, row)) for row in zip(*cols)]

    def rows(self) -> list[tuple]:
        """Rows as tuples."""
        return list(zip(*(self.column(i) for i in range(self.num_columns))))

    def to_pandas(self):
        """A pandas DataFrame (NULL becomes NaN/NaT/None, as usual in pandas)."""
        import pandas as pd

        data = {}
        for i, name in enumerate(self._names):
            arr = self._arrays[i]
            kind = self._types[i].upper()
            if isinstance(arr, np.ma.MaskedArray):
                raw = np.ma.getdata(arr)
                if raw.dtype.kind == "f":
                    arr = arr.filled(np.nan)
                elif raw.dtype.kind in "mM":
                    arr = arr.filled(np.array("NaT", dtype=raw.dtype))
                elif raw.dtype.kind in "iub":
                    bits = raw.dtype.itemsize * 8
                    arr = pd.array(raw, dtype={"b": "boolean", "i": f"Int{bits}", "u": f"UInt{bits}"}[raw.dtype.kind])
                    arr[np.ma.getmaskarray(self._arrays[i])] = pd.NA
                else:
                    arr = np.array(self.column(i), dtype=object)
            elif arr.dtype == object:
                arr = np.array(self.column(i), dtype=object)
            if "TIME ZONE" in kind and not isinstance(arr, pd.api.extensions.ExtensionArray):
                arr = pd.DatetimeIndex(arr).tz_localize("UTC")
            data[name] = arr
        frame = (
            pd.DataFrame(data)
            if len(set(self._names)) == len(self._names)
            else pd.DataFrame({i: v for i, v in enumerate(data.values())})
        )
        if len(set(self._names)) != len(self._names):
            frame.columns = self._names
        return frame

    # ------------------------------------------------------------------ reshaping
    def slice(self, start: int, length: int) -> Result:
        return Result(self._names, [a[start : start + length] for a in self._arrays], self._types)

    def take(self, indices) -> Result:
        """The given rows (positions), in that order."""
        indices = np.asarray(indices, dtype=np.int64)
        return Result(self._names, [a[indices] for a in self._arrays], self._types)

    def select(self, names: list[str]) -> Result:
        """The given columns (by name), in that order."""
        cols = [self._index(n) for n in names]
        return Result([self._names[c] for c in cols], [self._arrays[c] for c in cols], [self._types[c] for c in cols])

    def sort_indices(self, key, descending: bool = False) -> np.ndarray | None:
        """Row order sorting one column (stable; NaN then NULL last), or None if the values have no order."""
        col = self._index(key)
        arr = self._arrays[col]
        data = np.ma.getdata(arr)
        null = np.ma.getmaskarray(arr) if isinstance(arr, np.ma.MaskedArray) else np.zeros(self._rows, bool)
        nan = (
            np.isnan(data)
            if data.dtype.kind == "f"
            else np.isnat(data)
            if data.dtype.kind in "mM"
            else np.zeros(self._rows, bool)
        )
        valid = np.flatnonzero(~null & ~nan)
        values = data[valid]
        if data.dtype == object:
            values = np.array(self.column(col), dtype=object)[valid]
            if any(isinstance(v, (list, dict)) for v in values[:1000]):
                return None  # lists/structs have no order
        try:
            if descending:  # stable descending: ties keep their original order
                order = len(values) - 1 - np.argsort(values[::-1], kind="stable")[::-1]
            else:
                order = np.argsort(values, kind="stable")
        except (TypeError, ValueError):
            return None
        return np.concatenate([valid[order], np.flatnonzero(nan & ~null), np.flatnonzero(null)]).astype(np.int64)
