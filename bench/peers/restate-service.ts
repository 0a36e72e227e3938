/**
 * The Restate side of the workload: a service whose handler runs `steps`
 * sequential durable steps (`ctx.run`: each step's result is journaled by the
 * Restate server before the handler goes on), served by the SDK's endpoint in
 * a process of its own.
 *
 *   node --import tsx bench/peers/restate-service.ts <port>
 */
import "./polyfill.ts";
import * as restate from "@restatedev/restate-sdk";

interface Step {
  readonly i: number;
  readonly label: string;
}

export const stepsService = restate.service({
  name: "steps",
  handlers: {
    run: async (ctx: restate.Context, steps: number): Promise<Step> => {
      let value: Step = { i: 0, label: "start" };
      for (let k = 0; k < steps; k++) {
        const previous = value;
        value = await ctx.run("step", async () => ({ i: previous.i + 1, label: `step ${previous.i + 1}` }));
      }
      return value;
    },
  },
});

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.argv[2]);
  await restate.serve({ services: [stepsService], port });
  console.log(JSON.stringify({ ready: port }));
}
