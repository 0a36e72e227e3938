/**
 * The typed kitaru client (`kitaru/client`): start, inspect, answer, replay
 * and follow executions over gRPC.
 *
 * `KitaruClient` talks to the runner (executions, waits, watch) and the
 * planner (replay and its dry run). Results are plain camelCase objects;
 * every failure is a typed `KitaruError` subclass decoded from the status
 * details, so callers branch on classes, never on message text.
 *
 * @example
 * ```ts
 * import { KitaruClient, KitaruPendingWaitError } from "kitaru/client";
 *
 * await using client = new KitaruClient(); // KITARU_RUNNER_URL / KITARU_PLANNER_URL
 * const replayed = await client.executions.replay("kr-a8f3c2", {
 *   from: "write_draft",
 *   args: { topic: "New topic" },
 *   overrides: { "checkpoint.research": "Edited notes" },
 * });
 * console.log(replayed.execId, replayed.originalExecId);
 * try {
 *   console.log(await client.executions.handle(replayed.execId).wait());
 * } catch (e) {
 *   if (e instanceof KitaruPendingWaitError) console.log(e.message); // how to answer the wait
 *   else throw e;
 * }
 * ```
 *
 * @module
 */

// User-facing: the client, handles and flow clients.
export { KitaruClient } from "./client.ts";
export type { KitaruClientOptions } from "./connection.ts";
export { DEFAULT_PLANNER_URL, DEFAULT_RUNNER_URL } from "./connection.ts";
export { ExecutionsClient } from "./executions.ts";
export type {
  GetExecutionOptions,
  LatestExecutionOptions,
  ListExecutionsOptions,
  PlanReplayOptions,
  ReplayOptions,
  WatchExecutionOptions,
  ExecutionLogsOptions,
  FollowLogsOptions,
  LogFollowEvent,
  VerifyExecutionsOptions,
  VerifyExecutionsResult,
} from "./executions.ts";
export { FlowsClient } from "./flows.ts";
export { ReplayJobsClient } from "./replay-jobs.ts";
export type { ReplayJobPlans, ReplayJobProgress, StartReplayJobOptions } from "./replay-jobs.ts";
export type { ReplayJob, ReplayJobItem, ReplayJobSelection, ReplayJobTotals } from "./convert/replay-job.ts";
export type { ReplayJobItemStateName, ReplayJobStateName } from "#contract/replay-job.ts";
export { replayJobTotalsLine } from "#contract/replay-job.ts";
export type { FlowInfo, RunFlowOptions } from "./flows.ts";
export { ExecutionHandle } from "./execution-handle.ts";
export type { HandleWatchOptions, WaitOptions } from "./execution-handle.ts";
export { flowClient } from "./flow-client.ts";
export type { FlowClient, FlowClientOptions, FlowReplayOptions } from "./flow-client.ts";

// User-facing: the model types.
export type { Execution, FlowVersionRun, OmittedValue, ReplayOrigin, VersionHold } from "./convert/execution.ts";
export type {
  ExecutionHistory,
  ExecutionVerification,
  HistoryCall,
  HistoryWait,
  VerificationVerdict,
} from "#contract/execution-verification.ts";
export type { CallComparison, CallComparisonKind, ExecutionComparison, ExecutionLineage, JsonChange, LineageNode } from "./convert/lineage.ts";
export type { CallAttempt, CheckpointCall } from "./convert/checkpoint-call.ts";
export type { Wait } from "./convert/wait.ts";
export type { LogEntry, LogLevel } from "./convert/log-entry.ts";
export type { PlannedCall, PlannedOverride, ReplayPlan } from "./convert/replay-plan.ts";
export type {
  CallEvent,
  ExecutionEvent,
  ExecutionEventKind,
  StatusChangedEvent,
  WaitEvent,
} from "./convert/event.ts";
export type { CheckpointCallStatus, ExecutionStatus, WaitStatus } from "#contract/status.ts";
export { EXECUTION_STATUSES, isTerminalStatus } from "#contract/status.ts";

// User-facing: the errors a client raises (all of them: `kitaru/errors`).
export {
  KitaruError,
  KitaruUsageError,
  KitaruWaitValidationError,
  KitaruStateError,
  KitaruNotFoundError,
  KitaruExecutionError,
  KitaruUserCodeError,
  KitaruDivergenceError,
  KitaruBackendError,
  KitaruAuthError,
  KitaruPermissionError,
  KitaruInternalError,
} from "#contract/errors/kitaru-error.ts";
export type { DivergenceDetail, ExecutionFailure, FailureOrigin } from "#contract/errors/kitaru-error.ts";
export { KitaruPendingWaitError } from "./pending-wait-error.ts";

// Library-facing: converters and following, for tools built on the client (the CLI).
export { executionFromProto } from "./convert/execution.ts";
export { checkpointCallFromProto } from "./convert/checkpoint-call.ts";
export { waitFromProto } from "./convert/wait.ts";
export { replayPlanFromProto } from "./convert/replay-plan.ts";
export { executionEventFromProto } from "./convert/event.ts";
export { followExecution } from "./follow-execution.ts";
export type { ExecutionReader, FollowOptions } from "./follow-execution.ts";
export { executionOutcomeError, isSettled } from "./execution-outcome.ts";
