/**
 * Restate's driver: a client process of its own, calling the `steps` service
 * through the Restate server's HTTP ingress with the SDK's client
 * (`@restatedev/restate-sdk-clients`): the call returns once the handler
 * completed, as its caller sees it.
 *
 *   node --import tsx bench/peers/drivers/restate.ts <ingress URL>
 */
import "../polyfill.ts";
import * as clients from "@restatedev/restate-sdk-clients";
import { serveDriver } from "../driver.ts";
import type { stepsService } from "../restate-service.ts";

const url = process.argv[2];
if (!url) throw new Error("usage: restate.ts <ingress URL>");
const ingress = clients.connect({ url });
const steps = ingress.serviceClient<typeof stepsService>({ name: "steps" });

await serveDriver({
  run: async (n) => await steps.run(n),
  close: async () => undefined,
});
