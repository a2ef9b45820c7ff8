"""Evidence commands: ``workbench audit verify LOG [--against FILE...]``, ``workbench audit show LOG``, ``workbench fingerprint FILE``
and ``workbench workspace check FILE.wbk``.

Exit codes: 0 intact / all sources unchanged, 1 a broken chain or changed/missing sources, 2 bad input.
"""

from __future__ import annotations

import json
import sys


def register(subparsers) -> None:
    audit = subparsers.add_parser("audit", help="check or show a workspace's audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", parser_class=type(audit))
    audit_sub.required = True

    verify = audit_sub.add_parser(
        "verify",
        help="check the hash chain, every signature and the checkpoints in exports, reports and "
        "workspaces; exit 1 on any inconsistency",
    )
    verify.add_argument("log", nargs="?", help="the .audit.jsonl file")
    verify.add_argument(
        "--against",
        nargs="+",
        action="extend",
        default=[],
        metavar="FILE",
        help="exports (CSV/Parquet/XLSX/PNG/SVG or FILE.provenance.json), evidence reports "
        "(HTML, PDF, replay script) or workspaces whose signed checkpoints the log must match",
    )
    verify.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="FINGERPRINT",
        help="a signing key the auditor trusts (entries by keys nobody vouches for fail)",
    )
    verify.add_argument(
        "--expect-head",
        metavar="HASH[:COUNT]",
        help="the head recorded elsewhere (detects a cut-off or rewritten tail)",
    )
    verify.add_argument(
        "--workspace", metavar="WBK", help="check against this workspace file's head and signed checkpoint"
    )
    verify.add_argument("--json", action="store_true", help="print the result as JSON")
    verify.set_defaults(func=_audit_verify)

    show = audit_sub.add_parser("show", help="print the entries (optionally one action)")
    show.add_argument("log")
    show.add_argument("--action", help="only entries with this action")
    show.set_defaults(func=_audit_show)

    key = audit_sub.add_parser(
        "key", help="this user's signing key: fingerprint, public key, file (created if there is none yet)"
    )
    key.add_argument("--json", action="store_true")
    key.set_defaults(func=_audit_key)

    fp = subparsers.add_parser("fingerprint", help="SHA-256 of extract files")
    fp.add_argument("files", nargs="+")
    fp.set_defaults(func=_fingerprint)

    ws = subparsers.add_parser("workspace", help="inspect a workspace file")
    ws_sub = ws.add_subparsers(dest="workspace_command", metavar="ACTION", parser_class=type(ws))
    ws_sub.required = True
    check = ws_sub.add_parser("check", help="re-fingerprint the sources; exit 1 when any changed or is missing")
    check.add_argument("workspace")
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=_workspace_check)


def _parse_head(text: str):
    from workbench.audit import AuditHead
    from workbench.errors import WorkbenchError

    hash_, _, count = text.partition(":")
    if len(hash_) != 64:
        raise WorkbenchError("--expect-head needs a 64-character SHA-256, optionally followed by :COUNT")
    try:
        return AuditHead(hash_.lower(), int(count) if count else 0)
    except ValueError:
        raise WorkbenchError("--expect-head COUNT must be a whole number") from None


def _audit_verify(args) -> int:
    from workbench import audit
    from workbench.errors import SpecError

    if args.log is None:  # `audit verify --against F.csv W.wbk LOG`: --against took the log too
        if len(args.against) < 2:
            raise SpecError("Give the audit log to verify: workbench audit verify LOG [--against FILE ...]")
        args.log = args.against.pop()
    head = _parse_head(args.expect_head) if args.expect_head else None
    extra = []
    if args.workspace:
        from workbench.workspace import load

        ws = load(args.workspace)
        if ws.audit_head is not None and head is None:
            head = audit.AuditHead.from_dict(ws.audit_head)
        if ws.audit_checkpoint is not None:
            extra.append((args.workspace, ws.audit_checkpoint))
    if head is not None and head.count == 0:
        # A hash without a count: find which entry it is, so cut-offs are still caught.
        for i, entry in enumerate(audit.AuditLog(args.log, user="-", version="-").entries()):
            if entry.get("hash") == head.hash:
                head = audit.AuditHead(head.hash, i + 1)
                break
    if args.against or args.trust or extra:
        from workbench.audit_checkpoint import verify_against

        result = verify_against(args.log, args.against, trusted=args.trust, extra=extra, expected_head=head)
        if args.json:
            print(json.dumps(result.to_dict(), indent=2))
        else:
            print(result.report(), file=sys.stdout if result.ok else sys.stderr)
        return 0 if result.ok else 1
    verified = audit.verify(args.log, expected_head=head)
    if args.json:
        problem = verified.problem
        print(
            json.dumps(
                {
                    "ok": verified.ok,
                    "entries": verified.entries,
                    "head": verified.head.to_dict(),
                    "problem": None
                    if verified.ok or problem is None
                    else {"line": problem.line, "kind": problem.kind, "message": problem.message},
                    "actions": verified.actions,
                    "keys": {
                        fp: {k: v for k, v in info.items() if k != "public_key"} for fp, info in verified.keys.items()
                    },
                },
                indent=2,
            )
        )
    else:
        print(verified.report(), file=sys.stdout if verified.ok else sys.stderr)
    return 0 if verified.ok else 1


def _audit_show(args) -> int:
    from workbench import audit

    for entry in audit.AuditLog(args.log, user="-", version="-").entries():
        if args.action and entry.get("action") != args.action:
            continue
        details = json.dumps(entry.get("details"), ensure_ascii=False, sort_keys=True)
        user = str(entry.get("user"))
        if entry.get("claimed_user"):
            user += f" (claimed {entry['claimed_user']})"  # $USER said someone else
        print(f"{entry.get('seq'):>5}  {entry.get('time')}  {user}  {entry.get('action')}  {details}")
    return 0


def _audit_key(args) -> int:
    """Print the user's key, so its fingerprint can be given to an auditor (``audit verify --trust``)."""
    from workbench.audit_keys import load_or_create, short_fingerprint

    key = load_or_create()
    doc = {"fingerprint": key.fingerprint, "public_key": key.public.b64, "algorithm": "Ed25519", "path": str(key.path)}
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print(
            f"Ed25519 key {short_fingerprint(key.fingerprint)}\nfingerprint {key.fingerprint}\n"
            f"public key  {key.public.b64}\nfile        {key.path}"
        )
    return 0


def _fingerprint(args) -> int:
    from workbench.fingerprint import sha256_file

    for path in args.files:
        print(f"{sha256_file(path)}  {path}")
    return 0


def _workspace_check(args) -> int:
    from workbench.workspace import load, verify_sources

    ws = load(args.workspace)
    checks = verify_sources(ws)
    if args.json:
        print(json.dumps([c.to_dict() for c in checks], indent=2))
    else:
        if not checks:
            print(f"{ws.name}: no sources recorded")
        for c in checks:
            print(f"{c.status:8} {c.message}")
    return 0 if all(c.status == "ok" for c in checks) else 1
