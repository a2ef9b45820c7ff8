"""``workbench reconcile A B --key COL[,COL]``: do two extracts agree?

Exit status 0 when they agree, 1 when they differ, 2 on an error (a missing column, key types that cannot
be matched, an empty side). Without ``--key``, ``--measures`` (and ``--by``) compare totals instead.
"""

from __future__ import annotations

import csv
import json
import sys
from typing import cast


def register(subparsers) -> None:
    from workbench.cli.explore import add_encoding_argument

    p = subparsers.add_parser(
        "reconcile", help="compare two extracts on a key (or their totals): exit 1 when they differ"
    )
    p.add_argument("path_a", metavar="A", help="first extract (file, folder or glob; Parquet or CSV)")
    p.add_argument("path_b", metavar="B", help="second extract (formats may differ)")
    p.add_argument(
        "--key",
        metavar="COL[,COL]",
        help="key column(s) matching rows; A_NAME=B_NAME when renamed in B (quote names with commas)",
    )
    p.add_argument("--columns", metavar="C1,C2", help="columns to compare (default: every column in both)")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="A_COL=B_COL",
        help="compare A_COL with B's column B_COL (renamed); repeatable",
    )
    p.add_argument(
        "--abs-tol", type=_tolerance, default=0.0, metavar="X", help="numbers within X of each other are equal"
    )
    p.add_argument(
        "--rel-tol",
        type=_tolerance,
        default=0.0,
        metavar="X",
        help="numbers within X times the larger magnitude are equal (0.01 = 1%%)",
    )
    p.add_argument("--ignore-case", action="store_true", help="text compared case-insensitively")
    p.add_argument("--trim", action="store_true", help="text compared without leading/trailing whitespace")
    p.add_argument("--samples", type=int, default=5, metavar="N", help="rows kept per bucket (default 5)")
    p.add_argument("--measures", metavar="M1,M2", help="without --key: compare the sums of these columns")
    p.add_argument("--by", metavar="D1,D2", help="without --key: ... by these dimensions")
    p.add_argument("--format", choices=("json", "text"), default="text")
    add_encoding_argument(p)
    p.set_defaults(func=_reconcile)


def _tolerance(text: str) -> float:
    import argparse
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number of at least 0")
    return value


def split_names(text: str | None) -> list[str]:
    """``a,b`` -> ``["a", "b"]``; names containing commas can be double-quoted (``"x,y",z``)."""
    if not text:
        return []
    return [n.strip() for n in next(csv.reader([text], skipinitialspace=True)) if n.strip()]


def _pairs(names: list[str]) -> tuple[list[str], list[str]]:
    a, b = [], []
    for n in names:
        left, sep, right = n.partition("=")
        a.append(left.strip() if sep else n)
        b.append(right.strip() if sep else n)
    return a, b


def _reconcile(args) -> int:
    from workbench.analysis.reconcile import ReconcileView
    from workbench.cli.explore import confirm_unchanged, print_source_notes
    from workbench.cli.workspace_option import open_session
    from workbench.errors import SpecError
    from workbench.reconcile.aggregate import AggregateSpec
    from workbench.reconcile.keyed import ReconcileSpec
    from workbench.reconcile.schema import CompareOptions

    options = CompareOptions(args.abs_tol, args.rel_tol, args.ignore_case, args.trim)
    if not args.key and not args.measures:
        raise SpecError("Give --key COL[,COL] to match rows (or --measures M1,M2 [--by D1,D2] to compare totals)")
    if args.samples < 0:
        raise SpecError("--samples must be at least 0")
    session = open_session(args, [args.path_a], "reconcile")
    try:
        source_b = session.catalog.open(args.path_b, encoding=args.encoding)
        print_source_notes(source_b)
        a, b = session.source.name, source_b.name
        if args.key:
            key_a, key_b = _pairs(split_names(args.key))
            columns = split_names(args.columns) or None
            col_a, col_b = _pairs(columns) if columns else (None, None)
            mapping = [tuple(m.split("=", 1)) for m in args.map if "=" in m]
            bad = [m for m in args.map if "=" not in m]
            if bad:
                raise SpecError(f"--map {bad[0]!r}: write A_COL=B_COL")
            if col_a:
                mapping += [(x, y) for x, y in zip(col_a, cast(list[str], col_b)) if x != y]  # set with col_a
            spec = ReconcileSpec(
                a,
                b,
                tuple(key_a),
                tuple(key_b) if key_b != key_a else None,
                tuple(col_a) if col_a else None,
                tuple(dict(mapping).items()),
                options,
                args.samples,
            )
            view = ReconcileView(keyed=spec)
        else:
            view = ReconcileView(
                aggregate=AggregateSpec(a, b, tuple(split_names(args.measures)), tuple(split_names(args.by)), options)
            )
        result = view.run(session.con, session.catalog)
        confirm_unchanged(session.source)
        confirm_unchanged(source_b)
    finally:
        session.close()
    session.record(
        query=";\n".join(result.sql), description={"command": "reconcile", "a": args.path_a, "b": args.path_b}
    )
    res = result.value
    if args.format == "json":
        doc = res.to_json()
        print(json.dumps(doc, ensure_ascii=False, indent=2, default=str))
    elif args.key:
        _print_keyed(res, args)
    else:
        _print_aggregate(res, args)
    return 1 if res.differs else 0


def _print_keyed(res, args) -> None:
    out = sys.stdout
    out.write(f"A  {args.path_a}  {res.rows_a:,} rows\nB  {args.path_b}  {res.rows_b:,} rows\n")
    out.write(f"key  {', '.join(res.spec.key)}\n\n")
    out.write(f"matched      {res.matched:>12,}\n")
    out.write(f"only in A    {res.only_a:>12,}\n")
    out.write(f"only in B    {res.only_b:>12,}\n")
    out.write(
        f"duplicate keys  A {res.duplicate_keys_a:,} ({res.duplicate_rows_a:,} rows), "
        f"B {res.duplicate_keys_b:,} ({res.duplicate_rows_b:,} rows) — left out of the matching\n"
    )
    if res.columns:
        width = max(len(c.name) for c in res.columns) + 2
        out.write(f"\n{'column':<{width}}{'changed':>12}  of matched\n")
        for c in res.columns:
            renamed = f"  (B: {c.name_b})" if c.name_b != c.name else ""
            out.write(f"{c.name:<{width}}{c.changed:>12,}  {c.compared:,}{renamed}\n")
    s = res.schema
    if s.only_a or s.only_b or s.type_changed:
        out.write("\nschema\n")
        if s.only_a:
            out.write(f"  only in A: {', '.join(s.only_a)}\n")
        if s.only_b:
            out.write(f"  only in B: {', '.join(s.only_b)}\n")
        for name, (ta, tb) in s.type_changed.items():
            out.write(f"  type changed: {name} {ta} -> {tb}\n")
    for a, b, score in res.suggested_mapping:
        out.write(f"  suggested mapping: {a} -> {b} (similarity {score:.2f}; use --map {a}={b})\n")
    samples = res.samples
    for label, rows in (("only in A", samples["only_a"]), ("only in B", samples["only_b"])):
        if rows:
            out.write(f"\nsample {label}\n")
            for r in rows:
                out.write("  " + json.dumps(r, ensure_ascii=False, default=str) + "\n")
    for col, rows in samples["changed"].items():
        out.write(f"\nsample changed {col}\n")
        for r in rows:
            out.write(f"  {json.dumps(r['key'], ensure_ascii=False, default=str)}  A {r['a']!r}  B {r['b']!r}\n")
    for note in res.notes:
        out.write(f"\nnote: {note}\n")
    out.write(f"\n{'DIFFER' if res.differs else 'AGREE'}\n")


def _print_aggregate(res, args) -> None:
    out = sys.stdout
    out.write(f"A  {args.path_a}\nB  {args.path_b}\n")
    out.write(f"{res.groups:,} groups, {res.groups_differing:,} differ\n\n")
    res.frame.to_csv(out, index=False)
    out.write(f"\n{'DIFFER' if res.differs else 'AGREE'}\n")
