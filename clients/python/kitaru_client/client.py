"""A small hand-written wrapper around the generated RunnerService stub.

Every method returns the generated message and raises a
:class:`~kitaru_client.errors.KitaruError` subclass on failure. For anything
not wrapped here, use ``client.stub`` (a ``RunnerServiceStub``) and
:func:`~kitaru_client.errors.error_from_rpc_error`.

    with RunnerClient("127.0.0.1:50051") as runner:
        execution = runner.start_execution("content_pipeline", {"topic": "agents"})
        print(runner.get_execution(execution.exec_id).status)
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, TypeVar

import grpc
from google.protobuf import json_format, struct_pb2

from kitaru.runner.v1 import execution_pb2, runner_service_pb2, runner_service_pb2_grpc

from .errors import error_from_rpc_error

T = TypeVar("T")


class RunnerClient:
    """A client of ``kitaru.runner.v1.RunnerService`` over an insecure channel (or one you pass).

    Args:
        address: "host:port" of a runner.
        timeout: per-call deadline in seconds (None: no deadline).
        channel: use this channel instead of opening an insecure one to ``address``.
    """

    def __init__(self, address: str, *, timeout: Optional[float] = 30.0, channel: Optional[grpc.Channel] = None) -> None:
        self.address = address
        self.timeout = timeout
        self._owns_channel = channel is None
        self.channel = channel if channel is not None else grpc.insecure_channel(address)
        self.stub = runner_service_pb2_grpc.RunnerServiceStub(self.channel)

    def close(self) -> None:
        if self._owns_channel:
            self.channel.close()

    def __enter__(self) -> "RunnerClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _call(self, method: Callable[..., T], request: Any) -> T:
        try:
            return method(request, timeout=self.timeout)
        except grpc.RpcError as e:
            raise error_from_rpc_error(e) from e

    def start_execution(
        self, flow_name: str, input: Optional[Dict[str, Any]] = None, *, request_id: str = ""
    ) -> execution_pb2.Execution:
        """Starts an execution of ``flow_name`` with a JSON object as input; returns it (status RUNNING)."""
        struct = struct_pb2.Struct()
        json_format.ParseDict(input or {}, struct)
        request = runner_service_pb2.StartExecutionRequest(flow_name=flow_name, input=struct, request_id=request_id)
        return self._call(self.stub.StartExecution, request).execution

    def get_execution(self, exec_id: str, *, full: bool = False) -> execution_pb2.Execution:
        """Reads one execution; ``full=True`` includes the checkpoint calls and their outputs."""
        view = execution_pb2.EXECUTION_VIEW_FULL if full else execution_pb2.EXECUTION_VIEW_BASIC
        request = runner_service_pb2.GetExecutionRequest(exec_id=exec_id, view=view)
        return self._call(self.stub.GetExecution, request).execution

    def list_pending_waits(self, exec_id: str) -> list:
        """The pending waits of an execution, oldest first."""
        request = runner_service_pb2.ListPendingWaitsRequest(exec_id=exec_id)
        return list(self._call(self.stub.ListPendingWaits, request).waits)

    def resolve_wait(self, exec_id: str, wait: str, value: Any) -> execution_pb2.Execution:
        """Answers a pending wait (by name or wait ID) with a JSON value; the execution continues."""
        request = runner_service_pb2.ResolveWaitRequest(
            exec_id=exec_id, wait=wait, value=json_format.ParseDict(value, struct_pb2.Value())
        )
        return self._call(self.stub.ResolveWait, request).execution

    @staticmethod
    def to_python(value: Any) -> Any:
        """A ``google.protobuf.Value``/``Struct`` (e.g. ``execution.result``) as plain Python data."""
        return json_format.MessageToDict(value)
