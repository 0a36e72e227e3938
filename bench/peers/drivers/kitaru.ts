/**
 * kitaru's driver: a client process of its own, talking to runner processes
 * over gRPC through the public TypeScript client, as an application does:
 * `flowClient(...).execute()` (one call: start, and the status on the same
 * stream), or with `run-wait` `run()` then `handle.wait()` (two calls). The
 * flow is `bench_chain_await` (bench/flows.ts): each step awaits the
 * previous one's value, as the peers' workflows do.
 *
 *   node --conditions=kitaru-source --import tsx bench/peers/drivers/kitaru.ts <runner address>[,<runner address>...] [execute|run-wait]
 *
 * With several runner addresses (runners on one store file), workflows are
 * started round robin over them, as a load balancer would.
 */
import { KitaruClient } from "../../../clients/ts/src/client.ts";
import { flowClient } from "../../../clients/ts/src/flow-client.ts";
import { serveDriver } from "../driver.ts";

const addresses = (process.argv[2] ?? "").split(",").filter(Boolean);
if (addresses.length === 0) throw new Error("usage: kitaru.ts <runner address>[,<runner address>...]");
const mode = process.argv[3] ?? "execute";
if (mode !== "execute" && mode !== "run-wait") throw new Error(`unknown mode '${mode}' (execute, run-wait)`);
const clients = addresses.map((address) => new KitaruClient({ runnerUrl: `http://${address}`, plannerUrl: "http://127.0.0.1:1" }));
const flows = clients.map((client) => flowClient<{ calls: number }>("bench_chain_await", { client }));
let next = 0;

await serveDriver({
  async run(steps) {
    const flow = flows[next++ % flows.length]!;
    if (mode === "execute") return flow.execute({ calls: steps });
    const handle = await flow.run({ calls: steps });
    return handle.wait();
  },
  async close() {
    for (const client of clients) await client.close();
  },
});
