// @tier unit
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { Code as ConnectCode, ConnectError } from "@connectrpc/connect";
import { Code } from "#gen/google/rpc/code_pb.ts";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.ts";
import { StatusSchema } from "#gen/google/rpc/status_pb.ts";
import {
  ERROR_DOMAIN,
  ErrorReason,
  errorFromConnectError,
  errorFromStatus,
  errorToStatus,
  INTERNAL_ERROR_MESSAGE,
  KitaruBackendError,
  KitaruContextError,
  KitaruDivergenceError,
  type KitaruError,
  KitaruExecutionError,
  KitaruInternalError,
  KitaruNotFoundError,
  KitaruStateError,
  KitaruUsageError,
  KitaruUserCodeError,
  KitaruWaitValidationError,
  type DivergenceDetail,
  KitaruAuthError,
  KitaruPermissionError,
} from "#contract/errors/index.ts";

const divergence: DivergenceDetail = {
  execId: "kr-new",
  sourceExecId: "kr-old",
  invocationId: "write_draft",
  kind: "order_changed",
  recorded: "after research",
  seen: "before research",
  recordedDependencies: ["research"],
  seenDependencies: [],
};

/** One instance of every class, with every typed field set, and the code each must travel as. */
const cases: { error: KitaruError; code: Code }[] = [
  {
    error: new KitaruUsageError("bad override key", {
      metadata: { key: "checkpoint.nope" },
      violations: [{ field: "overrides.checkpoint.nope", description: "unknown key" }],
    }),
    code: Code.INVALID_ARGUMENT,
  },
  { error: new KitaruUsageError("no violations", { metadata: {} }), code: Code.INVALID_ARGUMENT },
  {
    error: new KitaruWaitValidationError("wait input rejected", {
      metadata: { execId: "kr-a", waitName: "approve" },
      execId: "kr-a",
      waitName: "approve",
      waitId: "w-1",
      violations: [{ field: "approved", description: "expected boolean" }],
    }),
    code: Code.INVALID_ARGUMENT,
  },
  {
    error: new KitaruContextError("checkpoint() outside a flow", { violations: [{ field: "", description: "x" }] }),
    code: Code.INVALID_ARGUMENT,
  },
  {
    error: new KitaruStateError("selector is ambiguous", {
      metadata: { selector: "research", execId: "kr-a" },
      selector: {
        selector: "research",
        source: "from",
        candidates: [
          { name: "research", invocationId: "research", callId: "c1" },
          { name: "research", invocationId: "research_2", callId: "c2" },
        ],
        availableNames: ["research", "write"],
      },
      state: { execId: "kr-a", status: "running", operation: "replay" },
      waitSelection: { execId: "kr-a", selector: "approve", availableWaitNames: ["a", "b"], matchingWaitIds: ["w1", "w2"] },
    }),
    code: Code.FAILED_PRECONDITION,
  },
  { error: new KitaruStateError("plain state error"), code: Code.FAILED_PRECONDITION },
  {
    error: new KitaruNotFoundError('execution "kr-z" not found', {
      metadata: { execId: "kr-z" },
      resourceType: "execution",
      resourceName: "kr-z",
    }),
    code: Code.NOT_FOUND,
  },
  {
    error: new KitaruExecutionError("execution failed", {
      metadata: { execId: "kr-f" },
      execId: "kr-f",
      status: "failed",
      failure: { origin: "backend", message: "db down", exceptionType: "MongoError", invocationId: "save" },
    }),
    code: Code.FAILED_PRECONDITION,
  },
  { error: new KitaruExecutionError("cancelled", { execId: "kr-c", status: "cancelled" }), code: Code.FAILED_PRECONDITION },
  {
    error: new KitaruUserCodeError("flow threw", {
      execId: "kr-u",
      status: "failed",
      failure: { origin: "user_code", message: "boom", exceptionType: "TypeError", invocationId: "" },
    }),
    code: Code.FAILED_PRECONDITION,
  },
  {
    error: new KitaruDivergenceError("replay diverged at write_draft", {
      metadata: { execId: "kr-new", invocationId: "write_draft" },
      execId: "kr-new",
      failure: { origin: "divergence", message: "diverged", exceptionType: "", invocationId: "write_draft", divergence },
      detail: divergence,
    }),
    code: Code.FAILED_PRECONDITION,
  },
  { error: new KitaruBackendError("database unavailable", { metadata: { backend: "mongodb" } }), code: Code.UNAVAILABLE },
  { error: new KitaruAuthError("no valid bearer token"), code: Code.UNAUTHENTICATED },
  { error: new KitaruPermissionError("the token does not allow this"), code: Code.PERMISSION_DENIED },
  { error: new KitaruInternalError("internal error"), code: Code.INTERNAL },
];

/** Everything a client can observe about an error except its stack and cause. */
function observable(e: KitaruError) {
  return { prototype: Object.getPrototypeOf(e) as object, message: e.message, fields: { ...e } };
}

describe("errorToStatus → bytes → errorFromStatus", () => {
  it("covers every error class", () => {
    const classes = new Set(cases.map((c) => c.error.constructor));
    for (const cls of [
      KitaruUsageError,
      KitaruWaitValidationError,
      KitaruContextError,
      KitaruStateError,
      KitaruNotFoundError,
      KitaruExecutionError,
      KitaruUserCodeError,
      KitaruDivergenceError,
      KitaruBackendError,
      KitaruInternalError,
    ]) {
      assert.ok(classes.has(cls), `${cls.name} has no round-trip case`);
    }
  });

  for (const { error, code } of cases) {
    it(`round-trips ${error.name} (${error.message}) as ${Code[code]}`, () => {
      const status = errorToStatus(error);
      assert.equal(status.code, code);
      assert.equal(status.message, error.message);
      const bytes = toBinary(StatusSchema, status.details);

      const fromRaw = errorFromStatus({ code: status.code, message: status.message, detailsBin: bytes });
      assert.deepEqual(observable(fromRaw), observable(error));
      const fromMessage = errorFromStatus(fromBinary(StatusSchema, bytes));
      assert.deepEqual(observable(fromMessage), observable(error));
    });
  }

  it("puts an ErrorInfo with the kitaru domain, the reason and the metadata first", () => {
    const error = new KitaruNotFoundError("missing", { metadata: { execId: "kr-1" }, resourceType: "execution", resourceName: "kr-1" });
    const [first] = errorToStatus(error).details.details;
    assert.ok(first);
    const info = anyUnpack(first, ErrorInfoSchema);
    assert.equal(info?.domain, ERROR_DOMAIN);
    assert.equal(info?.reason, ErrorReason.notFound);
    assert.deepEqual(info?.metadata, { execId: "kr-1" });
  });

  it("turns an unknown Error into INTERNAL with a generic message, keeping nothing of it", () => {
    const status = errorToStatus(new Error("password=hunter2"));
    assert.equal(status.code, Code.INTERNAL);
    assert.equal(status.message, INTERNAL_ERROR_MESSAGE);
    assert.doesNotMatch(JSON.stringify(toBinary(StatusSchema, status.details)), /hunter2/);
    const back = errorFromStatus(status.details);
    assert.ok(back instanceof KitaruInternalError);
    assert.equal(back.message, INTERNAL_ERROR_MESSAGE);
  });

  it("turns a thrown non-Error value into INTERNAL too", () => {
    assert.equal(errorToStatus("a string").code, Code.INTERNAL);
    assert.equal(errorToStatus(undefined).message, INTERNAL_ERROR_MESSAGE);
  });
});

describe("errorFromConnectError", () => {
  it("rebuilds the subclass from the details a connect client received", () => {
    const error = cases.find((c) => c.error instanceof KitaruDivergenceError)!.error;
    const status = errorToStatus(error);
    const incoming = new ConnectError(status.message, status.code as number as ConnectCode);
    incoming.details = status.details.details.map((any) => ({
      type: any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1),
      value: any.value,
    }));
    const back = errorFromConnectError(incoming);
    assert.deepEqual(observable(back), observable(error));
    assert.equal(back.cause, incoming);
  });

  it("maps a connection failure without details to KitaruBackendError", () => {
    const back = errorFromConnectError(new ConnectError("connect ECONNREFUSED", ConnectCode.Unavailable));
    assert.ok(back instanceof KitaruBackendError);
    assert.equal(back.metadata["grpcCode"], "UNAVAILABLE");
  });

  it("lets errorToStatus pass a downstream kitaru error on with its class", () => {
    const status = errorToStatus(new KitaruNotFoundError("gone", { resourceType: "execution", resourceName: "kr-1" }));
    const downstream = new ConnectError(status.message, ConnectCode.NotFound);
    downstream.details = status.details.details.map((any) => ({ type: any.typeUrl.split("/")[1]!, value: any.value }));
    const relayed = errorToStatus(downstream);
    assert.equal(relayed.code, Code.NOT_FOUND);
    assert.ok(errorFromStatus(relayed.details) instanceof KitaruNotFoundError);
  });
});

describe("errorFromStatus without a kitaru ErrorInfo (other servers)", () => {
  const expectations: [Code, abstract new (...args: never[]) => KitaruError][] = [
    [Code.UNAVAILABLE, KitaruBackendError],
    [Code.DEADLINE_EXCEEDED, KitaruBackendError],
    [Code.INVALID_ARGUMENT, KitaruUsageError],
    [Code.NOT_FOUND, KitaruNotFoundError],
    [Code.FAILED_PRECONDITION, KitaruStateError],
    [Code.INTERNAL, KitaruInternalError],
    [Code.UNKNOWN, KitaruInternalError],
    [Code.UNIMPLEMENTED, KitaruInternalError],
    [Code.PERMISSION_DENIED, KitaruPermissionError],
    [Code.UNAUTHENTICATED, KitaruAuthError],
    [Code.RESOURCE_EXHAUSTED, KitaruUsageError],
    [Code.ABORTED, KitaruBackendError],
  ];
  for (const [code, cls] of expectations) {
    it(`maps ${Code[code]} to ${cls.name}`, () => {
      const e = errorFromStatus({ code, message: "from elsewhere" });
      assert.ok(e instanceof cls);
      assert.equal(e.message, "from elsewhere");
      assert.equal(e.metadata["grpcCode"], Code[code]);
    });
  }

  it("ignores unreadable details bytes", () => {
    const e = errorFromStatus({ code: Code.NOT_FOUND, message: "x", detailsBin: new Uint8Array([0xff, 0xff, 0xff]) });
    assert.ok(e instanceof KitaruNotFoundError);
  });
});
