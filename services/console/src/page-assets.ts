/**
 * The page's static assets: built by esbuild from clients/console/ (on start
 * when running from the sources, at pack time into dist/console/ for the
 * npm package) and served from memory with a strict content security policy.
 *
 * @module
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { KitaruUsageError } from "#contract/errors/index.ts";

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Running from the TypeScript sources (a checkout) rather than the package's dist/. */
const FROM_SOURCE = import.meta.url.endsWith(".ts");
/** The repository (or installed package) root. */
const ROOT = FROM_SOURCE ? path.resolve(HERE, "../../..") : path.resolve(HERE, "../../../..");
const PAGE_SOURCES = path.join(ROOT, "clients/console");

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** Bundles the page into `outDir` (index.html, console.js, console.css). Needs esbuild (a devDependency). */
export async function buildPage(outDir: string): Promise<void> {
  const esbuild = await import("esbuild");
  mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: { console: path.join(PAGE_SOURCES, "src/main.ts") },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    conditions: ["kitaru-source"],
    minify: true,
    legalComments: "none",
    outdir: outDir,
    logLevel: "warning",
  });
  for (const file of ["index.html", "console.css"]) copyFileSync(path.join(PAGE_SOURCES, "static", file), path.join(outDir, file));
}

/**
 * The directory holding the built page: from the sources it is (re)built into
 * .cache/console/ now; from the package it is dist/console/, built at pack time.
 */
export async function pageDirectory(): Promise<string> {
  if (FROM_SOURCE) {
    const outDir = path.join(ROOT, ".cache/console");
    await buildPage(outDir);
    return outDir;
  }
  const packaged = path.join(ROOT, "dist/console");
  if (!existsSync(path.join(packaged, "index.html"))) {
    throw new KitaruUsageError(`the console's page is missing from ${packaged}: the package was built without it (scripts/build-package.sh builds it)`);
  }
  return packaged;
}

/** One asset in memory. */
interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

/** Serves the page's files: `/` is index.html, `/<file>` the others; nothing else. */
export class PageAssets {
  readonly #assets = new Map<string, Asset>();

  constructor(directory: string) {
    for (const name of readdirSync(directory)) {
      const type = CONTENT_TYPES[path.extname(name)];
      if (type) this.#assets.set(`/${name}`, { body: readFileSync(path.join(directory, name)), type });
    }
  }

  /** Answers a GET or HEAD for an asset; 404 for any other path (RPCs of services not bridged too), 405 for other methods. */
  serve(request: IncomingMessage, response: ServerResponse): void {
    const pathname = new URL(request.url ?? "/", "http://console").pathname;
    const asset = this.#assets.get(pathname === "/" ? "/index.html" : pathname);
    if (!asset) {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    response.writeHead(200, {
      "content-type": asset.type,
      "content-length": asset.body.length,
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    });
    response.end(request.method === "HEAD" ? undefined : asset.body);
  }
}
