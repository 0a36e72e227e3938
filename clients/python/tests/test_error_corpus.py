"""The golden error corpus (test/fixtures/errors/, written by scripts/error-corpus.ts).

One ``google.rpc.Status`` per error reason as a kitaru service sends it, and
what a client reads from it; the TS and Go clients' tests decode the same
files. A reason added there fails here until ``errors.py`` decodes it.
"""

import json
from pathlib import Path
from typing import Any, Dict, List, Optional

import grpc
import pytest
from google.rpc import status_pb2

from kitaru_client import (
    KitaruDivergenceError,
    KitaruError,
    KitaruExecutionError,
    KitaruNotFoundError,
    KitaruStateError,
    KitaruUsageError,
    KitaruWaitValidationError,
)
from kitaru_client.errors import ErrorReason, error_from_status
from kitaru_client.models import DivergenceDetail, Failure

CORPUS = Path(__file__).resolve().parents[3] / "test" / "fixtures" / "errors"
REASONS = sorted(path.stem for path in CORPUS.glob("*.bin"))
CODES = {code.value[0]: code for code in grpc.StatusCode}


def _text(value: Optional[str]) -> str:
    return value or ""


def _divergence(d: DivergenceDetail) -> Dict[str, Any]:
    return {
        "execId": d.exec_id,
        "sourceExecId": d.source_exec_id,
        "invocationId": d.invocation_id,
        "kind": str(d.kind.value),
        "recorded": d.recorded,
        "seen": d.seen,
        "recordedDependencies": list(d.recorded_dependencies),
        "seenDependencies": list(d.seen_dependencies),
    }


def _failure(f: Failure) -> Dict[str, Any]:
    out: Dict[str, Any] = {
        "origin": str(f.origin.value),
        "message": f.message,
        "exceptionType": f.exception_type,
        "invocationId": _text(f.invocation_id),
    }
    if f.divergence is not None:
        out["divergence"] = _divergence(f.divergence)
    return out


def _list(values: Any) -> List[str]:
    return [str(v) for v in values]


def _fields(e: KitaruError) -> Dict[str, Any]:
    """The error's own fields as the corpus names them (lowerCamel, JSON values, unset ones left out)."""
    fields: Dict[str, Any] = {}
    if isinstance(e, KitaruWaitValidationError):
        fields.update(execId=e.exec_id, waitName=e.wait_name, waitId=e.wait_id)
    if isinstance(e, KitaruUsageError):
        fields["violations"] = [{"field": v.field, "description": v.description} for v in e.violations]
    if isinstance(e, KitaruStateError):
        if e.selector is not None:
            s = e.selector
            fields["selector"] = {
                "selector": s.selector,
                "source": s.source,
                "candidates": [{"name": c.name, "invocationId": c.invocation_id, "callId": c.call_id} for c in s.candidates],
                "availableNames": _list(s.available_names),
            }
        if e.state is not None:
            fields["state"] = {"execId": e.state.exec_id, "status": e.state.status, "operation": e.state.operation}
        if e.wait_selection is not None:
            w = e.wait_selection
            fields["waitSelection"] = {
                "execId": w.exec_id,
                "selector": w.selector,
                "availableWaitNames": _list(w.available_wait_names),
                "matchingWaitIds": _list(w.matching_wait_ids),
            }
    if isinstance(e, KitaruNotFoundError):
        fields.update(resourceType=e.resource_type, resourceName=e.resource_name)
    if isinstance(e, KitaruExecutionError):
        fields.update(execId=e.exec_id, status=str(e.status.value) if e.status is not None else "")
        if e.failure is not None:
            fields["failure"] = _failure(e.failure)
    if isinstance(e, KitaruDivergenceError) and e.detail is not None:
        fields["detail"] = _divergence(e.detail)
    return fields


def _view(e: KitaruError) -> Dict[str, Any]:
    code = e.code.name if isinstance(e.code, grpc.StatusCode) else str(e.code)
    return {
        "reason": e.reason,
        "class": type(e).__name__,
        "code": code,
        "message": e.message,
        "metadata": dict(e.metadata),
        "fields": _fields(e),
    }


def test_the_corpus_has_every_reason_this_client_knows():
    known = sorted(v for k, v in vars(ErrorReason).items() if not k.startswith("_"))
    assert REASONS == known, "a reason added to the corpus needs its class in errors.py (and ErrorReason)"


@pytest.mark.parametrize("reason", REASONS)
def test_each_status_decodes_to_its_class_and_fields(reason):
    status = status_pb2.Status.FromString((CORPUS / f"{reason}.bin").read_bytes())
    expected = json.loads((CORPUS / f"{reason}.json").read_text(encoding="utf-8"))
    e = error_from_status(CODES[status.code], status.message, status)
    assert _view(e) == expected
