"""The protection policy: how aggregates and personal data are protected, stored in the workspace.

A workspace carries one :class:`ProtectionPolicy` (``protection`` in the ``.wbk`` file, with its own
``policy_version``); workspaces saved before policies existed get one built from their settings
(``suppression_k``, ``mask_pii``) and PII flags (:func:`policy_of_workspace`). An administrator may install
a minimum policy (:func:`system_policy`: ``/etc/workbench/policy.json``, or the file named by
``WORKBENCH_SYSTEM_POLICY``); what is applied is :func:`effective_policy` — the stricter of the two on every
field, so no workspace can lower it.
"""

from __future__ import annotations

import dataclasses

import json
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from workbench.errors import WorkbenchError

POLICY_VERSION = 1
SUPPRESSION, CELL_KEY, OFF = "suppression", "cell-key", "off"
MODES = (OFF, SUPPRESSION, CELL_KEY)
# Strictness order for the system minimum: cell-key protects against differencing, suppression does not.
_STRICTNESS = {OFF: 0, SUPPRESSION: 1, CELL_KEY: 2}
DEFAULT_K = 10
SYSTEM_POLICY_ENV = "WORKBENCH_SYSTEM_POLICY"
SYSTEM_POLICY_PATH = "/etc/workbench/policy.json"
WORKSPACE_KEY = "protection"


class PolicyError(WorkbenchError):
    """A protection policy (workspace or system file) is malformed."""


@dataclass(frozen=True)
class CellKeyParams:
    """Parameters of the cell-key perturbation (documented in docs/privacy.md).

    ``max_perturbation`` D: perturbations lie in [-D, D]. ``variance`` V of the perturbation of a cell with
    at least D + 1 rows (smaller cells get what their support allows). ``seed``: the secret from which record
    keys derive; it never leaves the workspace/system file.
    """

    max_perturbation: int = 2
    variance: float = 1.0
    seed: str = ""

    def to_dict(self) -> dict:
        return {"max_perturbation": self.max_perturbation, "variance": self.variance, "seed": self.seed}

    @classmethod
    def from_dict(cls, d: Mapping, where: str = "cell_key") -> "CellKeyParams":
        if not isinstance(d, Mapping):
            raise PolicyError(f"{where} must be an object")
        dmax = d.get("max_perturbation", 2)
        var = d.get("variance", 1.0)
        if not isinstance(dmax, int) or isinstance(dmax, bool) or not 1 <= dmax <= 10:
            raise PolicyError(f"{where}.max_perturbation must be a whole number from 1 to 10 (found {dmax!r})")
        if not isinstance(var, (int, float)) or isinstance(var, bool) or not 0 < var <= dmax * dmax:
            raise PolicyError(f"{where}.variance must be a number in (0, max_perturbation²] (found {var!r})")
        seed = d.get("seed", "")
        if not isinstance(seed, str):
            raise PolicyError(f"{where}.seed must be text")
        return cls(int(dmax), float(var), seed)


@dataclass(frozen=True)
class PiiColumn:
    """A personal-data column of a source; ``revealed`` with a ``reason`` (audited) shows raw values."""

    source: str
    column: str
    kind: str = "masked"
    revealed: bool = False
    reason: str = ""

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "column": self.column,
            "kind": self.kind,
            "revealed": self.revealed,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ProtectionPolicy:
    """How every analysis result of a workspace is protected.

    mode : "suppression" (cells of fewer than k units hidden, complementary cells too), "cell-key"
        (counts perturbed by the cell-key method; perturbed cells below k hidden), or "off".
    k : minimum cell size.
    cell_key : parameters of the perturbation.
    pii : personal-data columns and whether each is revealed.
    mask_pii : mask personal-data columns at all (a system policy can force it on).
    sources : where the effective values came from, for the statement ("workspace" / "system minimum").
    """

    mode: str = SUPPRESSION
    k: int = DEFAULT_K
    cell_key: CellKeyParams = field(default_factory=CellKeyParams)
    pii: tuple[PiiColumn, ...] = ()
    mask_pii: bool = True
    raised_by_system: tuple[str, ...] = ()  # fields the system minimum raised (shown to the user)

    def __post_init__(self):
        if self.mode not in MODES:
            raise PolicyError(f"protection mode must be one of {', '.join(MODES)} (found {self.mode!r})")
        if not isinstance(self.k, int) or isinstance(self.k, bool) or self.k < 2:
            raise PolicyError(f"the minimum cell size k must be a whole number of at least 2 (found {self.k!r})")

    @property
    def active(self) -> bool:
        return self.mode != OFF

    def masked_columns(self, source: str) -> dict[str, str]:
        """{column: kind} of ``source`` to mask (nothing when masking is off)."""
        if not self.mask_pii:
            return {}
        return {p.column: p.kind for p in self.pii if p.source in (source, "*") and not p.revealed}

    def with_pii(
        self, source: str, column: str, kind: str, *, revealed: bool = False, reason: str = ""
    ) -> "ProtectionPolicy":
        rest = tuple(p for p in self.pii if (p.source, p.column) != (source, column))
        return replace(self, pii=rest + (PiiColumn(source, column, kind, revealed, reason),))

    def statement(self) -> str:
        """One sentence for CLI output, exports and the UI."""
        if self.mode == OFF:
            text = "No small-cell protection"
        elif self.mode == SUPPRESSION:
            text = f"Small-cell suppression with k = {self.k}"
        else:
            c = self.cell_key
            text = (
                f"Cell-key perturbation (counts moved by at most ±{c.max_perturbation}, variance "
                f"{c.variance:g}; cells below k = {self.k} hidden)"
            )
        text += "; personal data masked" if self.mask_pii else "; personal data NOT masked"
        if self.raised_by_system:
            text += f" — raised to the installation's minimum policy ({', '.join(self.raised_by_system)})"
        return text + "."

    # -- serialisation (the workspace's ``protection`` object) --
    def to_dict(self) -> dict:
        return {
            "policy_version": POLICY_VERSION,
            "mode": self.mode,
            "k": self.k,
            "cell_key": self.cell_key.to_dict(),
            "mask_pii": self.mask_pii,
            "pii": [p.to_dict() for p in self.pii],
        }

    @classmethod
    def from_dict(cls, d: Any, where: str = "protection") -> "ProtectionPolicy":
        if not isinstance(d, Mapping):
            raise PolicyError(f"{where} must be an object")
        version = d.get("policy_version", POLICY_VERSION)
        if not isinstance(version, int) or version > POLICY_VERSION:
            raise PolicyError(
                f"{where} was written by a newer Workbench (policy_version {version!r}; this "
                f"version reads up to {POLICY_VERSION})"
            )
        pii = []
        for i, p in enumerate(d.get("pii") or []):
            if not isinstance(p, Mapping) or not isinstance(p.get("column"), str):
                raise PolicyError(f"{where}.pii[{i}] must be an object with a column")
            pii.append(
                PiiColumn(
                    str(p.get("source", "*")),
                    p["column"],
                    str(p.get("kind") or "masked"),
                    bool(p.get("revealed", False)),
                    str(p.get("reason", "")),
                )
            )
        try:
            return cls(
                mode=d.get("mode", SUPPRESSION),
                k=d.get("k", DEFAULT_K),
                cell_key=CellKeyParams.from_dict(d.get("cell_key") or {}, f"{where}.cell_key"),
                pii=tuple(pii),
                mask_pii=bool(d.get("mask_pii", True)),
            )
        except PolicyError as exc:
            raise PolicyError(f"{where}: {exc}") from None


def new_policy(
    *, k: int = DEFAULT_K, mode: str = SUPPRESSION, max_perturbation: int = 2, variance: float = 1.0
) -> ProtectionPolicy:
    """A fresh policy with a new secret cell-key seed."""
    return ProtectionPolicy(mode=mode, k=k, cell_key=CellKeyParams(max_perturbation, variance, secrets.token_hex(16)))


# --- the workspace's policy ----------------------------------------------------------------------------


def policy_of_workspace(ws) -> ProtectionPolicy:
    """The policy stored in a workspace, or one migrated from its settings and PII flags (older files).

    The migration keeps what the settings meant: ``suppression_k`` None was "suppression off", ``mask_pii``
    and each flagged column's ``masked`` state carry over.
    """
    flagged = []  # the desktop app's flags (``ws.pii``), kept in the workspace beside the policy
    for source, columns in (ws.pii or {}).items():
        for column, flag in (columns or {}).items():
            flag = flag if isinstance(flag, Mapping) else {}
            flagged.append(
                PiiColumn(
                    source,
                    column,
                    str(flag.get("kind") or "masked"),
                    revealed=not flag.get("masked", True),
                    reason=str(flag.get("reason", "")),
                )
            )
    stored = ws.extra.get(WORKSPACE_KEY)
    if stored is not None:
        policy = ProtectionPolicy.from_dict(stored)
        known = {(p.source, p.column) for p in policy.pii}
        extra = tuple(p for p in flagged if (p.source, p.column) not in known)  # flagged later in the app
        return replace(policy, pii=policy.pii + extra) if extra else policy
    k = ws.settings.suppression_k
    pii = flagged
    # The seed is derived from the workspace's identity until a policy is saved: stable across reopenings.
    seed = _derived_seed(ws)
    return ProtectionPolicy(
        mode=SUPPRESSION if k else OFF,
        k=max(int(k or DEFAULT_K), 2),
        cell_key=CellKeyParams(seed=seed),
        pii=tuple(pii),
        mask_pii=ws.settings.mask_pii,
    )


def _derived_seed(ws) -> str:
    import hashlib

    basis = "\x1f".join([ws.created or "", ws.name or ""] + [s.sha256 for s in ws.sources])
    return hashlib.sha256(("workbench-cell-key\x1f" + basis).encode("utf-8")).hexdigest()[:32]


def policy_from_settings(ws, mode: str | None = None) -> ProtectionPolicy:
    """The workspace's policy after the desktop settings changed (k, masking; ``mode`` when given):
    k None turns protection off, a k on a policy that was off turns suppression on."""
    policy = policy_of_workspace(ws)
    k = ws.settings.suppression_k
    if k is None:
        new_mode = OFF
    else:
        new_mode = mode if mode is not None else (policy.mode if policy.mode != OFF else SUPPRESSION)
    if not policy.cell_key.seed:
        policy = replace(policy, cell_key=replace(policy.cell_key, seed=secrets.token_hex(16)))
    return replace(policy, mode=new_mode, k=max(int(k or policy.k), 2), mask_pii=ws.settings.mask_pii)


def store_policy(ws, policy: ProtectionPolicy) -> None:
    """Put ``policy`` in the workspace (saved with it) and mirror k / masking into the settings the
    desktop panels read, so both always agree."""
    if policy.raised_by_system:
        policy = replace(policy, raised_by_system=())
    ws.extra[WORKSPACE_KEY] = policy.to_dict()
    ws.settings.suppression_k = policy.k if policy.active else None
    ws.settings.mask_pii = policy.mask_pii


# --- the installation's minimum -------------------------------------------------------------------------


@dataclass(frozen=True)
class SystemPolicy:
    """The administrator's floor: ``min_k``, ``min_mode`` (a mode at least this strict), ``mask_pii``."""

    min_k: int = 0
    min_mode: str = OFF
    mask_pii: bool = False
    path: str = ""
    cell_key_seed: str = ""  # for work outside workspaces (else a per-user seed)

    @property
    def present(self) -> bool:
        return bool(self.path)


def system_policy_path() -> Path:
    return Path(os.environ.get(SYSTEM_POLICY_ENV) or SYSTEM_POLICY_PATH)


def system_policy(path: str | os.PathLike | None = None) -> SystemPolicy:
    """Read the installation's minimum policy (none: no floor).

    The file is JSON: ``{"min_k": 10, "min_mode": "cell-key", "mask_pii": true}``. A file that exists but
    cannot be read or understood is an error, never silently ignored (that would lower the floor).
    """
    p = Path(path) if path is not None else system_policy_path()
    if not p.exists():
        return SystemPolicy()
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PolicyError(
            f"The installation's protection policy {p} cannot be read ({type(exc).__name__}); "
            "ask your administrator to fix it"
        ) from None
    if not isinstance(doc, dict):
        raise PolicyError(f"The installation's protection policy {p} must be a JSON object")
    min_k, min_mode = doc.get("min_k", 0), doc.get("min_mode", OFF)
    if not isinstance(min_k, int) or isinstance(min_k, bool) or min_k < 0:
        raise PolicyError(f"{p}: min_k must be a whole number ≥ 0 (found {min_k!r})")
    if min_mode not in MODES:
        raise PolicyError(f"{p}: min_mode must be one of {', '.join(MODES)} (found {min_mode!r})")
    seed = doc.get("cell_key_seed", "")
    if not isinstance(seed, str):
        raise PolicyError(f"{p}: cell_key_seed must be text")
    return SystemPolicy(
        min_k=min_k, min_mode=min_mode, mask_pii=bool(doc.get("mask_pii", False)), path=str(p), cell_key_seed=seed
    )


def effective_policy(policy: ProtectionPolicy, system: SystemPolicy | None = None) -> ProtectionPolicy:
    """The stricter of the workspace's policy and the installation's minimum, field by field."""
    system = system_policy() if system is None else system
    if not system.present:
        return policy
    raised = []
    mode, k, mask, pii = policy.mode, policy.k, policy.mask_pii, policy.pii
    # A minimum k means cells must be protected: at least suppression, whatever min_mode says.
    floor_mode = system.min_mode if system.min_k < 2 or system.min_mode != OFF else SUPPRESSION
    if _STRICTNESS[floor_mode] > _STRICTNESS[mode]:
        mode = floor_mode
        raised.append(f"mode {mode}")
    if system.min_k > k:
        k = system.min_k
        raised.append(f"k ≥ {k}")
    if system.mask_pii:
        if not mask:
            raised.append("personal data always masked")
        if any(p.revealed for p in pii):
            raised.append("reveals withdrawn")
        mask = True
        pii = tuple(replace(p, revealed=False) for p in pii)
    return replace(policy, mode=mode, k=k, mask_pii=mask, pii=pii, raised_by_system=tuple(raised))


def workspace_policy(ws, system: SystemPolicy | None = None) -> ProtectionPolicy:
    """What is applied to a workspace's results: its policy raised to the installation's minimum.
    This is the one function the CLI, the desktop app and reports ask."""
    return effective_policy(policy_of_workspace(ws), system)


def default_policy(system: SystemPolicy | None = None) -> ProtectionPolicy:
    """The policy for work outside any workspace (plain ``workbench metric FILE``): no protection unless the
    installation sets a minimum.

    The cell-key seed must stay the same between runs (a fresh one per run would let repeated queries be
    averaged back to the true count): the installation's seed when it gives one, else a per-user seed."""
    system = system_policy() if system is None else system
    policy = effective_policy(
        ProtectionPolicy(mode=OFF, k=DEFAULT_K, mask_pii=False, cell_key=CellKeyParams(seed=system.cell_key_seed)),
        system,
    )
    if policy.mode == CELL_KEY and not policy.cell_key.seed:  # only then is a per-user seed needed (and made)
        policy = dataclasses.replace(policy, cell_key=dataclasses.replace(policy.cell_key, seed=_user_seed()))
    return policy


def _user_seed() -> str:
    """A per-user secret in the user's config folder (0600), created on first use."""
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "workbench"
    path = base / "cell_key_seed"
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        pass
    seed = secrets.token_hex(16)
    try:
        base.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(seed)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    except OSError as exc:
        raise PolicyError(f"Cannot keep the cell-key seed in {path}: {exc.strerror or exc}") from exc
    return seed
