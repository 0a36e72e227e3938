import { create, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { KitaruUsageError } from "#contract/errors/index.ts";
import { type ReplayJob, type ReplayJobItem, ReplayJobItemSchema, ReplayJobSchema } from "#gen/kitaru/runner/v1/replay_job_pb.ts";
import type { ReplayJobItemRecord, ReplayJobRecord } from "../store/records.ts";

// A stored job or item keeps the planner's message as protobuf bytes (base64
// in the record): the runner never reads inside it, and typed errors (`Any`
// details) survive without a type registry.

/** The record of a job the planner asks to store; its times and namespace are the runner's. */
export function replayJobRecordFromProto(job: ReplayJob | undefined): Omit<ReplayJobRecord, "namespace" | "cancelledAt" | "endedAt"> {
  if (job === undefined || !job.jobId) throw new KitaruUsageError("`job.job_id` is required.", { metadata: { field: "job.job_id" } });
  const kept = create(ReplayJobSchema, { jobId: job.jobId, requestId: job.requestId, spec: job.spec, sourceExecIds: job.sourceExecIds });
  const createdAt = job.createTime ? timestampDate(job.createTime) : new Date();
  return { jobId: job.jobId, createdAt, job: { proto: Buffer.from(toBinary(ReplayJobSchema, kept)).toString("base64") } };
}

/** The stored job as the planner reads it (without totals and state: the planner counts its items). */
export function replayJobToProto(record: ReplayJobRecord): MessageInitShape<typeof ReplayJobSchema> {
  const job = fromBinary(ReplayJobSchema, Buffer.from(String(record.job.proto ?? ""), "base64"));
  return {
    ...job,
    name: `replayJobs/${record.jobId}`,
    jobId: record.jobId,
    namespace: record.namespace,
    createTime: timestampFromDate(record.createdAt),
    ...(record.cancelledAt ? { cancelTime: timestampFromDate(record.cancelledAt) } : {}),
    ...(record.endedAt ? { endTime: timestampFromDate(record.endedAt) } : {}),
  };
}

/** The record of an item the planner writes. */
export function replayJobItemRecordFromProto(item: ReplayJobItem): Omit<ReplayJobItemRecord, "jobId"> {
  return { index: item.index, item: { proto: Buffer.from(toBinary(ReplayJobItemSchema, item)).toString("base64") } };
}

/** The stored item. */
export function replayJobItemToProto(record: ReplayJobItemRecord): ReplayJobItem {
  return { ...fromBinary(ReplayJobItemSchema, Buffer.from(String(record.item.proto ?? ""), "base64")), index: record.index };
}
