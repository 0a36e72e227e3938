/**
 * DBOS Transact's driver: the application process itself (DBOS runs
 * workflows in the process that starts them), on its system database in
 * PostgreSQL. Each step is a `DBOS.runStep` (its output checkpointed in
 * PostgreSQL before the workflow goes on); a workflow is started with
 * `DBOS.startWorkflow` and awaited with `handle.getResult()`.
 *
 *   node --import tsx bench/peers/drivers/dbos.ts <postgresql:// URL>
 */
import { DBOS } from "@dbos-inc/dbos-sdk";
import { serveDriver } from "../driver.ts";

const url = process.argv[2];
if (!url) throw new Error("usage: dbos.ts <postgresql:// URL of the system database>");

interface Step {
  readonly i: number;
  readonly label: string;
}

const step = async (previous: Step): Promise<Step> => ({ i: previous.i + 1, label: `step ${previous.i + 1}` });

async function stepsWorkflow(steps: number): Promise<Step> {
  let value: Step = { i: 0, label: "start" };
  for (let k = 0; k < steps; k++) {
    const previous = value;
    value = await DBOS.runStep(() => step(previous), { name: "step" });
  }
  return value;
}

const workflow = DBOS.registerWorkflow(stepsWorkflow, { name: "steps" });
DBOS.setConfig({ name: "kitaru-peers", systemDatabaseUrl: url, logLevel: "warn", runAdminServer: false });
await DBOS.launch();

await serveDriver({
  async run(steps) {
    const handle = await DBOS.startWorkflow(workflow)(steps);
    return handle.getResult();
  },
  close: () => DBOS.shutdown(),
});
