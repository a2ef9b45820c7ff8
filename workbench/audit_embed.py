"""Where a signed audit checkpoint sits in each kind of file, and reading it back.

* provenance stamps (CSV sidecar, ``FILE.provenance.json``, Parquet metadata, XLSX, PNG, SVG) and saved
  workspaces: the ``audit_checkpoint`` field of their JSON;
* evidence reports (HTML): a ``<pre id="audit-checkpoint">`` block in the "Audit checkpoint" section;
* PDF reports: the document's XMP metadata packet (``wb:auditCheckpoint``, base64 JSON);
* replay scripts: ``PAYLOAD["audit_checkpoint"]``.
"""

from __future__ import annotations

import ast
import base64
import html
import json
import re
from pathlib import Path

from workbench.audit import AuditError

CHECKPOINT_FIELD = "audit_checkpoint"
SIDECAR_SUFFIX = ".provenance.json"
HTML_ID = "audit-checkpoint"
_HTML_RE = re.compile(r'<pre[^>]*\bid="' + HTML_ID + r'"[^>]*>(.*?)</pre>', re.S)
_XMP_RE = re.compile(rb"<wb:auditCheckpoint>([A-Za-z0-9+/=\s]+)</wb:auditCheckpoint>")
_SVG_RE = re.compile(r'<metadata id="workbench\.provenance">(.*?)</metadata>', re.S)


def _loads(text: str | bytes):
    from workbench import safe_json

    try:
        return safe_json.loads(text, "audit checkpoint")
    except (ValueError, RecursionError, TypeError):
        return None


def checkpoint_html(cp: dict | None) -> str:
    """The report section that carries the checkpoint (visible: a reader can copy it to an auditor)."""
    from workbench.audit_keys import short_fingerprint

    if not cp:
        return (
            '<h2 id="audit">Audit checkpoint</h2><p class="meta">No audit log was attached when this report '
            "was written.</p>"
        )
    text = html.escape(json.dumps(cp, sort_keys=True, ensure_ascii=False, indent=1))  # one field a line: fits a page
    return (
        '<h2 id="audit">Audit checkpoint</h2>'
        f"<p>Signed by key <code>{html.escape(short_fingerprint(cp.get('key', '')))}</code> over the first "
        f"{int(cp.get('entries', 0))} entries of the audit log {html.escape(str(cp.get('log', '')))}. Check the log "
        "with <code>workbench audit verify LOG --against THIS_FILE</code>: any later rewrite of those entries "
        f'is detected.</p><pre id="{HTML_ID}" class="checkpoint">{text}</pre>'
    )


def xmp_packet(cp: dict | None, title: str = "") -> bytes | None:
    """An XMP metadata packet holding the checkpoint (PDF reports; QPdfWriter.setDocumentXmpMetadata)."""
    if not cp:
        return None
    payload = base64.b64encode(json.dumps(cp, sort_keys=True).encode("utf-8")).decode("ascii")
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:wb="https://workbench.invalid/ns/audit/1.0/">'
        f"<dc:title>{html.escape(title)}</dc:title>"
        f"<wb:auditKey>{html.escape(str(cp.get('key', '')))}</wb:auditKey>"
        f"<wb:auditCheckpoint>{payload}</wb:auditCheckpoint>"
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode("utf-8")


def extract_checkpoints(p: Path) -> list[dict]:
    """The checkpoints in ``p`` (see the module docstring for where each format keeps it)."""
    found = []
    suffix = p.suffix.lower()
    try:
        if p.name.endswith(SIDECAR_SUFFIX) or suffix in (".json", ".wbk"):
            found += _from_json(_loads(p.read_bytes()))
        elif suffix in (".html", ".htm"):
            for m in _HTML_RE.finditer(p.read_text(encoding="utf-8", errors="replace")):
                found += _from_json(_loads(html.unescape(m.group(1))))
        elif suffix == ".pdf":
            for packet in _XMP_RE.finditer(p.read_bytes()):
                found += _from_json(_loads(base64.b64decode(b"".join(packet.group(1).split()))))
        elif suffix == ".py":
            found += _from_json(_replay_payload(p.read_text(encoding="utf-8", errors="replace")))
        elif suffix == ".svg":
            for m in _SVG_RE.finditer(p.read_text(encoding="utf-8", errors="replace")):
                found += _from_json(_loads(html.unescape(m.group(1))))
        elif suffix in (".csv", ".parquet", ".xlsx", ".png"):
            from workbench.export import ExportError, read_provenance

            try:
                found += _from_json(read_provenance(p))
            except ExportError:
                pass
        sidecar = p.with_name(p.name + SIDECAR_SUFFIX)
        if suffix not in (".csv",) and sidecar.is_file():
            found += _from_json(_loads(sidecar.read_bytes()))
    except OSError as exc:
        raise AuditError(f"{p}: cannot be read ({exc.strerror or exc})") from exc
    unique: dict[str, dict] = {}
    for cp in found:
        unique.setdefault(json.dumps(cp, sort_keys=True, default=str), cp)
    return list(unique.values())


def unsigned_head_in(p: Path) -> dict | None:
    """The unsigned ``audit_head`` of a workspace saved before checkpoints existed (None if absent)."""
    if p.suffix.lower() != ".wbk":
        return None
    try:
        doc = _loads(p.read_bytes())
    except OSError:
        return None
    head = doc.get("audit_head") if isinstance(doc, dict) else None
    if isinstance(head, dict) and isinstance(head.get("hash"), str) and isinstance(head.get("count"), int):
        return head
    return None


def _from_json(doc) -> list[dict]:
    from workbench.audit_checkpoint import CHECKPOINT_TYPE

    if not isinstance(doc, dict):
        return []
    if doc.get("type") == CHECKPOINT_TYPE:
        return [doc]
    cp = doc.get(CHECKPOINT_FIELD)
    return [cp] if isinstance(cp, dict) else []


def _replay_payload(source: str):
    """The ``PAYLOAD = json.loads("...")`` constant of a replay script, read without running it."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return None
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "PAYLOAD" for t in node.targets)
            and isinstance(node.value, ast.Call)
            and node.value.args
            and isinstance(node.value.args[0], ast.Constant)
            and isinstance(node.value.args[0].value, str)
        ):
            return _loads(node.value.args[0].value)
    return None
