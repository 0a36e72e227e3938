from kitaru_client.gen.kitaru.runner.v1 import execution_pb2 as _execution_pb2
from kitaru_client.gen.kitaru.runner.v1 import replay_plan_pb2 as _replay_plan_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetCallGraphRequest(_message.Message):
    __slots__ = ("exec_id",)
    EXEC_ID_FIELD_NUMBER: _ClassVar[int]
    exec_id: str
    def __init__(self, exec_id: _Optional[str] = ...) -> None: ...

class StartReplayRequest(_message.Message):
    __slots__ = ("plan", "request_id", "validate_only", "allow_override_type_change")
    PLAN_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    ALLOW_OVERRIDE_TYPE_CHANGE_FIELD_NUMBER: _ClassVar[int]
    plan: _replay_plan_pb2.ReplayPlan
    request_id: str
    validate_only: bool
    allow_override_type_change: bool
    def __init__(self, plan: _Optional[_Union[_replay_plan_pb2.ReplayPlan, _Mapping]] = ..., request_id: _Optional[str] = ..., validate_only: bool = ..., allow_override_type_change: bool = ...) -> None: ...

class StartReplayResponse(_message.Message):
    __slots__ = ("execution",)
    EXECUTION_FIELD_NUMBER: _ClassVar[int]
    execution: _execution_pb2.Execution
    def __init__(self, execution: _Optional[_Union[_execution_pb2.Execution, _Mapping]] = ...) -> None: ...

class GetCallGraphResponse(_message.Message):
    __slots__ = ("graph", "source_flow_version", "flow_version")
    GRAPH_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    graph: _replay_plan_pb2.CallGraph
    source_flow_version: str
    flow_version: str
    def __init__(self, graph: _Optional[_Union[_replay_plan_pb2.CallGraph, _Mapping]] = ..., source_flow_version: _Optional[str] = ..., flow_version: _Optional[str] = ...) -> None: ...

class GetCallGraphResponseBytes(_message.Message):
    __slots__ = ("graph", "source_flow_version", "flow_version")
    GRAPH_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    FLOW_VERSION_FIELD_NUMBER: _ClassVar[int]
    graph: _containers.RepeatedScalarFieldContainer[bytes]
    source_flow_version: str
    flow_version: str
    def __init__(self, graph: _Optional[_Iterable[bytes]] = ..., source_flow_version: _Optional[str] = ..., flow_version: _Optional[str] = ...) -> None: ...
