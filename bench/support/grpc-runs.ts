/**
 * Running executions the way a client does, over gRPC: `StartExecution`,
 * then `WatchExecution` until the execution is terminal (the TS client's
 * `wait()` follows the same stream). Used by the service benches.
 */
import type { Client } from "@connectrpc/connect";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { ExecutionStatus } from "#gen/kitaru/runner/v1/execution_pb.ts";
import type { RunnerService } from "#gen/kitaru/runner/v1/runner_service_pb.ts";
import { now } from "./common.ts";

const TERMINAL = new Set([ExecutionStatus.COMPLETED, ExecutionStatus.FAILED, ExecutionStatus.CANCELLED]);

/** How a watched execution ended. */
export interface WatchEnd {
  /** performance.now() when the terminal status arrived. */
  readonly doneAt: number;
  readonly status: ExecutionStatus;
  /** The terminal state's time as the runner recorded it. */
  readonly endedAt: Date | undefined;
  /** The failure message, when it failed. */
  readonly failure: string | undefined;
}

/** Watches `execId` until its terminal status arrives (throws if the stream ends before). */
export async function watchToEnd(client: Client<typeof RunnerService>, execId: string): Promise<WatchEnd> {
  for await (const { event } of client.watchExecution({ execId })) {
    if (event?.kind.case !== "statusChanged" || !TERMINAL.has(event.kind.value.status)) continue;
    return {
      doneAt: now(),
      status: event.kind.value.status,
      endedAt: event.time === undefined ? undefined : timestampDate(event.time),
      failure: event.kind.value.failure?.message,
    };
  }
  throw new Error(`the watch of ${execId} ended before the execution did`);
}

/** One execution started and watched to its end over gRPC. */
export interface WatchedExecution extends WatchEnd {
  readonly execId: string;
  /** performance.now() when StartExecution was sent, and when its response arrived. */
  readonly sentAt: number;
  readonly answeredAt: number;
  /** The execution's creation time as the runner recorded it. */
  readonly createdAt: Date | undefined;
}

/** Starts `flowName` with `input` and watches it to its end (throws unless it completed). */
export async function startAndWatch(client: Client<typeof RunnerService>, flowName: string, input: Record<string, number>): Promise<WatchedExecution> {
  const sentAt = now();
  const { execution } = await client.startExecution({ flowName, input });
  const answeredAt = now();
  if (execution === undefined) throw new Error("StartExecution returned no execution");
  const end = await watchToEnd(client, execution.execId);
  if (end.status !== ExecutionStatus.COMPLETED) {
    throw new Error(`execution ${execution.execId} ended ${ExecutionStatus[end.status]}${end.failure ? `: ${end.failure}` : ""}`);
  }
  return {
    ...end,
    execId: execution.execId,
    sentAt,
    answeredAt,
    createdAt: execution.createTime === undefined ? undefined : timestampDate(execution.createTime),
  };
}
