/**
 * Flows of the benches: N sequential trivial checkpoints with small JSON
 * outputs. `bench_chain` passes each call's handle to the next (a data edge
 * per call, nothing loaded in the body until the end); `bench_chain_await`
 * awaits each value and passes the plain value on (a load edge per call).
 */
import { z } from "zod";
import { checkpoint, flow } from "kitaru";

interface Step {
  readonly i: number;
  readonly label: string;
}

const step = checkpoint("step", async (previous: Step | number): Promise<Step> => {
  const i = typeof previous === "number" ? previous + 1 : previous.i + 1;
  return { i, label: `step ${i}` };
});

const input = z.object({ calls: z.number().int().positive() });

export const benchChain = flow("bench_chain", { input }, async ({ calls }) => {
  let handle = step(0);
  for (let k = 1; k < calls; k++) handle = step(handle);
  return await handle;
});

export const benchChainAwait = flow("bench_chain_await", { input }, async ({ calls }) => {
  let value: Step = await step(0);
  for (let k = 1; k < calls; k++) value = await step(value);
  return value;
});

export const benchFlows = [benchChain, benchChainAwait];

/** Invocation ID of the k-th call (1-based) of `step`. */
export const invocationIdOf = (k: number) => (k === 1 ? "step" : `step_${k}`);
