"""An edition's fingerprint: which data, reference data and method made its figures.

The evidence app supplies the data side (uploads with their file hashes, the record count, a
hash of the records' row hashes, reference-data versions); the edition adds what it asked for.
Same inputs, same fingerprint: a SHA-256 of their canonical JSON.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .models import Edition


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def fingerprint_of(
    *, evidence_inputs: dict[str, Any], edition: Edition, method_version: str
) -> tuple[str, dict[str, Any]]:
    """The fingerprint and the inputs it was made from (stored to say what changed later)."""
    inputs = _canonical(dict(evidence_inputs))
    inputs["method_version"] = method_version
    inputs["edition"] = {
        "period": [edition.period_start.isoformat(), edition.period_end.isoformat()],
        "area": edition.authority.code if edition.authority_id else "partnership",
        "audience": edition.audience,
        "definition_version": edition.definition.version if edition.definition_id else None,
        "datasets": sorted(edition.datasets.values_list("slug", flat=True)),
    }
    text = json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest(), inputs


def upload_ids(inputs: dict[str, Any]) -> dict[int, str]:
    """Upload id → file hash from stored inputs (whatever the evidence app's key names)."""
    found: dict[int, str] = {}
    for item in inputs.get("uploads") or []:
        if isinstance(item, dict):
            pk = item.get("id", item.get("upload_id"))
            digest = item.get("sha256", item.get("file_hash", item.get("hash", "")))
        elif isinstance(item, (list, tuple)) and item:
            pk, digest = item[0], (item[1] if len(item) > 1 else "")
        else:
            pk, digest = item, ""
        if pk is not None:
            found[int(pk)] = str(digest)
    return found
