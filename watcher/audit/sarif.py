"""Findings as a SARIF 2.1.0 log, for code-scanning dashboards (GitHub, GitLab, Azure DevOps).

Paths are relative to `%SRCROOT%` (the directory the audit ran from), as the
dashboards expect. Each result carries our fingerprint under
`partialFingerprints` so a dashboard tracks a finding across commits the way
the baseline does; baselined findings are reported as suppressed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from watcher.audit.findings import Finding, message
from watcher.audit.levels import Level

SCHEMA: Final = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY: Final = "watcherAuditFinding/v1"

# One rule per level, so a dashboard can filter on what the gate means.
RULES: Final = {
    Level.ERROR: ("model-shutdown-due", "Model shut down or shutting down soon",
                  "The provider's shutdown date for this model is past, or within the audit's window."),
    Level.WARNING: ("model-end-announced", "Model with an announced end",
                    "The model is deprecated or has a shutdown date beyond the audit's window."),
    Level.NOTE: ("model-in-use", "Known model in use", "A model id the watcher knows, with no announced end."),
}


def sarif_log(findings: Sequence[Finding], *, base: Path, version: str) -> dict[str, Any]:
    rules = [
        {"id": rule_id, "name": name, "shortDescription": {"text": name}, "fullDescription": {"text": text},
         "defaultConfiguration": {"level": level.value}}
        for level, (rule_id, name, text) in sorted(RULES.items(), key=lambda item: -item[0].rank)
    ]
    index = {level: number for number, level in enumerate(sorted(RULES, key=lambda lv: -lv.rank))}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "watcher audit", "version": version, "rules": rules}},
            "originalUriBaseIds": {"SRCROOT": {"uri": base.resolve().as_uri() + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": [_result(f, index[f.level]) for f in findings],
        }],
    }


def _artifact(path: str) -> dict[str, str]:
    if path.startswith("/"):  # outside the directory the audit ran from
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(path), "uriBaseId": "SRCROOT"}


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    life = f.lifecycle
    result: dict[str, Any] = {
        "ruleId": RULES[f.level][0],
        "ruleIndex": rule_index,
        "level": f.level.value,
        "message": {"text": message(f)},
        "locations": [{"physicalLocation": {
            "artifactLocation": _artifact(f.path),
            # No snippet: the line may hold more than the id (a key beside it in an .env file),
            # and dashboards show the code from the repository themselves.
            "region": {"startLine": f.hit.line, "startColumn": f.hit.column,
                       "endColumn": f.hit.column + len(f.hit.written)},
        }}],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {
            "written": f.hit.written, "model": life.name, "status": life.status, "shutdownOn": life.shutdown,
            "shutdownSource": life.shutdown_source, "daysLeft": f.days_left, "replacement": life.replacement,
            "notes": list(life.notes),
        },
    }
    if f.baselined:
        result["suppressions"] = [{"kind": "external", "justification": "accepted in the audit baseline"}]
    return result
