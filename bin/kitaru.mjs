#!/usr/bin/env node
// The `kitaru` command. Plain JavaScript, so that it runs without a build step
// in a source checkout and from an installed package alike:
//
// - installed (the npm package): the compiled CLI in dist/ runs; tsx's loader
//   is registered so that `kitaru runner --flows ./flows.ts` can load a flows
//   module written in TypeScript;
// - in a source checkout (this repository): the TypeScript sources run through
//   tsx, and the package's own imports (`kitaru`, `#gen/*`, `#contract/*`)
//   resolve to the sources: the "kitaru-source" condition of package.json, added here
//   for every module loaded after this one (see source-conditions.mjs).
import { existsSync } from "node:fs";
import { register } from "node:module";
import { register as registerTsx } from "tsx/esm/api";

const sources = new URL("../clients/cli/src/main.ts", import.meta.url);
const fromSource = existsSync(sources);
if (fromSource) register("./source-conditions.mjs", import.meta.url);
registerTsx();
const cli = fromSource ? sources : new URL("../dist/clients/cli/src/main.js", import.meta.url);
const { main } = await import(cli.href);
await main(process.argv.slice(2));
