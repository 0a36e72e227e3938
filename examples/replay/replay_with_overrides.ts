/**
 * The replay example: run the content pipeline, then replay it from
 * `write_draft` with a new topic and edited research notes.
 *
 * Needs a runner serving examples/replay/flows.ts and a planner
 * (KITARU_RUNNER_URL, KITARU_PLANNER_URL; defaults 127.0.0.1:50051/50052).
 * `bash scripts/example.sh` starts both and runs this file.
 */
import { KitaruClient, type Execution } from "kitaru/client";
import { contentPipeline } from "./flows.ts";

function describeCalls(execution: Execution): string[] {
  return execution.checkpoints.map((call) =>
    call.status === "reused"
      ? `  ${call.invocationId}: reused from ${call.reusedFromCallId}${call.overridden ? " (output overridden)" : ""}`
      : `  ${call.invocationId}: ${call.status} (${call.attempts} attempt${call.attempts === 1 ? "" : "s"})`,
  );
}

export async function main(): Promise<void> {
  await using client = new KitaruClient();

  // 1. Run the flow through its flow object and wait for the result.
  const original = await contentPipeline.run({ topic: "Durable agents" }, { client });
  const originalResult = await original.wait();
  console.log(`Original execution: ${original.execId}`);
  console.log(`  result: ${JSON.stringify(originalResult)}`);

  // 2. Replay it from write_draft with a new topic and edited research notes (SDK replay).
  const replayed = await client.executions.replay(original.execId, {
    from: "write_draft",
    args: { topic: "New topic" },
    overrides: { "checkpoint.research": "Edited notes" },
  });
  console.log(`Replayed execution: ${replayed.execId}`);
  console.log(`  original_exec_id: ${replayed.originalExecId}`);

  // 3. Wait for the replay, then show what was reused and what ran again.
  const result = await client.executions.handle(replayed.execId).wait();
  const details = await client.executions.get(replayed.execId);
  console.log("Checkpoints of the replay:");
  for (const line of describeCalls(details)) console.log(line);
  console.log(`  result: ${JSON.stringify(result)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
