"""Decoding rules of kitaru_client.errors, without a server."""

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

from kitaru_client import (
    KitaruAuthError,
    KitaruPermissionError,
    DivergenceKind,
    ExecutionStatus,
    FailureOrigin,
    KitaruDivergenceError,
    KitaruExecutionError,
    KitaruUsageError,
    KitaruWaitValidationError,
)
from kitaru_client.errors import error_from_status
from kitaru_client.gen.kitaru.errors.v1 import errors_pb2
from kitaru_client.gen.kitaru.runner.v1 import execution_pb2


def pack(*messages):
    out = []
    for m in messages:
        a = any_pb2.Any()
        a.Pack(m)
        out.append(a)
    return out


def info(reason, **metadata):
    return error_details_pb2.ErrorInfo(reason=reason, domain="kitaru.dev", metadata=metadata)


def test_classes_come_from_details_not_messages():
    # A status whose message says "not found" but whose ErrorInfo says usage:
    # the class follows the ErrorInfo.
    status = status_pb2.Status(
        code=3, message="Execution 'x' was not found.", details=pack(info("KITARU_USAGE_ERROR", k="v"))
    )
    e = error_from_status(grpc.StatusCode.INVALID_ARGUMENT, status.message, status)
    assert type(e) is KitaruUsageError and e.metadata == {"k": "v"}

    # No kitaru details at all: the code decides, and says so in metadata.
    e = error_from_status(grpc.StatusCode.UNAVAILABLE, "connection refused", None)
    assert e.reason == "KITARU_BACKEND_ERROR" and e.metadata == {"grpcCode": "UNAVAILABLE"}
    assert type(error_from_status(grpc.StatusCode.UNAUTHENTICATED, "no token", None)) is KitaruAuthError
    assert type(error_from_status(grpc.StatusCode.PERMISSION_DENIED, "not yours", None)) is KitaruPermissionError
    assert type(error_from_status(grpc.StatusCode.RESOURCE_EXHAUSTED, "too large", None)) is KitaruUsageError


def test_auth_reasons_decode_to_their_classes_which_are_permission_errors():
    for reason, cls in (("KITARU_UNAUTHENTICATED", KitaruAuthError), ("KITARU_PERMISSION_DENIED", KitaruPermissionError)):
        status = status_pb2.Status(code=16, message="m", details=pack(info(reason)))
        e = error_from_status(grpc.StatusCode.UNAUTHENTICATED, "m", status)
        assert type(e) is cls and isinstance(e, PermissionError) and e.reason == reason


def test_wait_validation_and_divergence_details_become_attributes():
    wv = errors_pb2.WaitValidation(
        exec_id="kr-1", wait_name="approval", wait_id="w1",
        violations=[errors_pb2.FieldViolation(field="approved", description="expected boolean")],
    )
    status = status_pb2.Status(code=3, message="m", details=pack(info("KITARU_WAIT_VALIDATION_ERROR"), wv))
    e = error_from_status(grpc.StatusCode.INVALID_ARGUMENT, "m", status)
    assert isinstance(e, KitaruWaitValidationError) and isinstance(e, KitaruUsageError)
    assert (e.exec_id, e.wait_name, e.wait_id) == ("kr-1", "approval", "w1")
    assert [(v.field, v.description) for v in e.violations] == [("approved", "expected boolean")]

    detail = errors_pb2.DivergenceDetail(
        exec_id="kr-2", invocation_id="publish", kind=errors_pb2.DIVERGENCE_KIND_ORDER_CHANGED
    )
    state = errors_pb2.ExecutionStateDetail(exec_id="kr-2", status="failed")
    failure = execution_pb2.Failure(origin=execution_pb2.FAILURE_ORIGIN_DIVERGENCE, message="m", divergence=detail)
    status = status_pb2.Status(
        code=9, message="m", details=pack(info("KITARU_DIVERGENCE_ERROR"), state, detail, failure)
    )
    e = error_from_status(grpc.StatusCode.FAILED_PRECONDITION, "m", status)
    assert isinstance(e, KitaruDivergenceError) and isinstance(e, KitaruExecutionError)
    assert e.exec_id == "kr-2" and e.status is ExecutionStatus.FAILED and e.status == "failed"
    # Details become the same dataclasses an Execution's failure holds.
    assert e.detail is not None and e.detail.invocation_id == "publish"
    assert e.detail.kind is DivergenceKind.ORDER_CHANGED
    assert e.failure is not None and e.failure.divergence == e.detail
    assert e.failure_origin is FailureOrigin.DIVERGENCE
    assert e.detail.flow_version is None and e.detail.replay_command is None


def test_a_resume_divergence_names_both_versions_and_the_replay_that_continues_it():
    for kind, public in (
        (errors_pb2.DIVERGENCE_KIND_CALL_REPLACED, DivergenceKind.CALL_REPLACED),
        (errors_pb2.DIVERGENCE_KIND_WAIT_CHANGED, DivergenceKind.WAIT_CHANGED),
    ):
        detail = errors_pb2.DivergenceDetail(
            exec_id="kr-3",
            source_exec_id="kr-3",
            invocation_id="write_draft",
            kind=kind,
            recorded_flow_version="v1",
            flow_version="v2",
            replay_command="kitaru executions replay kr-3 --from write_draft",
            replay_from="write_draft",
        )
        status = status_pb2.Status(code=9, message="m", details=pack(info("KITARU_DIVERGENCE_ERROR"), detail))
        e = error_from_status(grpc.StatusCode.FAILED_PRECONDITION, "m", status)
        assert isinstance(e, KitaruDivergenceError) and e.detail is not None
        assert e.detail.kind is public
        assert (e.detail.recorded_flow_version, e.detail.flow_version) == ("v1", "v2")
        assert e.detail.replay_command == "kitaru executions replay kr-3 --from write_draft"
        assert e.detail.replay_from == "write_draft"


def test_foreign_domain_is_not_trusted():
    foreign = error_details_pb2.ErrorInfo(reason="KITARU_USAGE_ERROR", domain="example.com")
    status = status_pb2.Status(code=13, message="m", details=pack(foreign))
    e = error_from_status(grpc.StatusCode.INTERNAL, "m", status)
    assert e.reason == "KITARU_INTERNAL_ERROR" and e.metadata["grpcCode"] == "INTERNAL"
