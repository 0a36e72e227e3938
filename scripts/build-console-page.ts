/**
 * Bundles the console's page (clients/console) into a directory of static
 * assets with esbuild: `scripts/build-package.sh` puts it in dist/console/,
 * which `kitaru console` serves from the installed package.
 *
 *   node --conditions=kitaru-source --import tsx scripts/build-console-page.ts <out-dir>
 */
import { buildPage } from "../services/console/src/page-assets.ts";

const outDir = process.argv[2];
if (!outDir) {
  console.error("usage: scripts/build-console-page.ts <out-dir>");
  process.exit(2);
}
await buildPage(outDir);
