/**
 * How the runner loads the flows module a user gives it (`--flows`): a
 * JavaScript module with `import()`; a TypeScript one (`.ts`, `.mts`, `.cts`,
 * `.tsx`) with tsx's `tsImport`, which compiles it in a loader namespace of its
 * own, so it loads the same way in an ES module project and in a CommonJS one
 * (where a plain `import()` of a `.ts` file that `require`s this package ends
 * in "Cannot require() ES Module ... in a cycle").
 *
 * @module
 */
import { tsImport } from "tsx/esm/api";

const TYPESCRIPT = /\.(c|m)?tsx?$/;

/** Imports the flows module at `url` (a `file:` URL). */
export function importFlowsModule(url: string): Promise<unknown> {
  return TYPESCRIPT.test(new URL(url).pathname) ? tsImport(url, import.meta.url) : import(url);
}
