#!/usr/bin/env node
// The `kitaru` command. Plain JavaScript so that it runs without a build:
// tsx's ESM loader is registered first, then the TypeScript CLI is imported
// relative to this file (so any working directory works).
import { register } from "tsx/esm/api";

register();
const { main } = await import(new URL("../clients/cli/src/main.ts", import.meta.url).href);
await main(process.argv.slice(2));
