"""``workbench workspace new W.wbk PATH... [--k N] [--mode suppression|cell-key]``: a workspace over those
sources, with its protection policy and an audit log beside it."""

from __future__ import annotations

import sys


def register(subparsers) -> None:
    from workbench.protection.policy import CELL_KEY, DEFAULT_K, SUPPRESSION

    sub = _workspace_actions(subparsers)
    n = sub.add_parser("new", help="create W.wbk over PATH... with its protection policy")
    n.add_argument("target", metavar="W.wbk")
    n.add_argument("paths", nargs="+", metavar="PATH", help="Parquet/CSV files, folders or globs (one source each)")
    n.add_argument("--k", type=_k, default=DEFAULT_K, help=f"minimum cell size (default {DEFAULT_K})")
    n.add_argument(
        "--mode",
        choices=(SUPPRESSION, CELL_KEY),
        default=SUPPRESSION,
        help="small-cell suppression (default) or cell-key perturbation (resists differencing)",
    )
    n.add_argument("--force", action="store_true", help="replace an existing workspace file")
    n.set_defaults(func=_new)

    r = sub.add_parser("reveal", help="show a personal-data column unmasked in this workspace (the reason is audited)")
    r.add_argument("target", metavar="W.wbk")
    r.add_argument("column", metavar="SOURCE.COLUMN")
    r.add_argument("--reason", required=True, help="why the raw values are needed (written to the audit log)")
    r.add_argument("--mask", action="store_true", help="mask the column again instead")
    r.set_defaults(func=_reveal)


def _workspace_actions(subparsers):
    """The ``workspace`` command's sub-commands (another module may have created it for ``check``)."""
    import argparse

    p = subparsers.choices.get("workspace")
    if p is None:
        p = subparsers.add_parser("workspace", help="create or inspect workspace files")
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return p.add_subparsers(dest="workspace_command", metavar="ACTION", parser_class=type(p))


def _k(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"k must be at least 2 (got {value})")
    return value


def _new(args) -> int:
    from pathlib import Path

    from workbench import workspace as wsmod
    from workbench.audit import AuditLog, audit_path_for
    from workbench.catalog import Catalog
    from workbench.engine import connect
    from workbench.errors import WorkbenchError
    from workbench.privacy import detect_pii
    from workbench.protection.policy import effective_policy, new_policy, store_policy

    target = Path(args.target)
    if target.suffix.lower() != wsmod.SUFFIX:
        target = target.with_name(target.name + wsmod.SUFFIX)
    if target.exists() and not args.force:
        raise WorkbenchError(f"{target} already exists (use --force to replace it)")
    policy = new_policy(k=args.k, mode=args.mode)
    ws = wsmod.Workspace(name=target.stem)
    con = connect()
    try:
        catalog = Catalog(con)
        for path in args.paths:
            source = catalog.open(path)
            ws.add_source(wsmod.SourceRecord.from_source(source))
            for finding in detect_pii(con, source.name, source.columns):
                policy = policy.with_pii(source.name, finding.column, finding.kind)
    finally:
        con.close()
    store_policy(ws, policy)
    audit = AuditLog(audit_path_for(target.resolve()))
    for record in ws.sources:
        audit.source_opened(
            record.name,
            [{"path": f.path, "sha256": f.sha256, "size": f.size} for f in record.files],
            row_count=record.row_count,
        )
    audit.append(
        "protection_policy_set",
        policy={k: v for k, v in policy.to_dict().items() if k != "cell_key"},
        cell_key={"max_perturbation": policy.cell_key.max_perturbation, "variance": policy.cell_key.variance},
    )
    saved = wsmod.save(ws, target, audit=audit)
    effective = effective_policy(policy)
    print(f"{saved}  ({len(ws.sources)} source{'s' if len(ws.sources) != 1 else ''})")
    for record in ws.sources:
        print(
            f"  {record.name}: {record.row_count if record.row_count is not None else '?'} rows, "
            f"{len(record.files)} file{'s' if len(record.files) != 1 else ''}"
        )
    masked = [f"{p.source}.{p.column} ({p.kind})" for p in policy.pii]
    print(f"  protection: {effective.statement()}")
    if masked:
        print(f"  personal data masked: {', '.join(masked)}")
    print(f"  audit log: {audit.path}", file=sys.stdout)
    return 0


def _reveal(args) -> int:
    from workbench import workspace as wsmod
    from workbench.audit import AuditLog, audit_path_for
    from workbench.errors import WorkbenchError
    from workbench.protection.policy import policy_of_workspace, store_policy, system_policy

    ws = wsmod.load(args.target)
    source, dot, column = args.column.partition(".")
    if not dot or not column:
        raise WorkbenchError(f"{args.column!r}: give SOURCE.COLUMN, e.g. users.email")
    names = {s.name for s in ws.sources}
    if source not in names:
        raise WorkbenchError(f"{args.target} has no source {source!r} (sources: {', '.join(sorted(names))})")
    if not args.reason.strip():
        raise WorkbenchError("Revealing personal data needs a reason for the audit log")
    if not args.mask and system_policy().mask_pii:
        raise WorkbenchError("The installation's protection policy keeps personal data masked; it cannot be revealed")
    policy = policy_of_workspace(ws)
    known = {(p.source, p.column): p for p in policy.pii}
    from workbench.privacy import pii_kind_from_name

    kind = known[(source, column)].kind if (source, column) in known else (pii_kind_from_name(column) or "masked")
    policy = policy.with_pii(source, column, kind, revealed=not args.mask, reason=args.reason.strip())
    store_policy(ws, policy)
    assert ws.path is not None, "a workspace loaded from a file knows its path"
    audit = AuditLog(audit_path_for(ws.path))
    if args.mask:
        audit.append("pii_masked", source=source, column=column, reason=args.reason.strip())
    else:
        audit.pii_revealed(source, column, args.reason)
    wsmod.save(ws, ws.path, audit=audit)
    print(f"{source}.{column} {'masked' if args.mask else 'revealed'} in {ws.path} (reason logged)")
    return 0
