/**
 * The console's browser tests' set-up: runner and planner in process with the
 * given flows, the console bridging to them, and a headless Chromium (Debian's
 * `chromium`, installed by scripts/install-chromium.sh) driven by puppeteer-core.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import type { RegisteredFlow } from "../../services/runner/src/engine/flow-registry.ts";
import { type RunningConsole, startConsole } from "../../services/console/src/console-server.ts";
import type { RunnerEnvOptions } from "../support/runner-env.ts";
import { createServicesEnv, type ServicesEnv } from "../support/services-env.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Where the tests save screenshots (gitignored). */
export const SCREENSHOTS = path.join(ROOT, "test-output/console");

/** The chromium executable: installed now if missing (apt-get, idempotent). */
function chromiumPath(): string {
  return execFileSync("bash", [path.join(ROOT, "scripts/install-chromium.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
}

/** Services, the console and a browser page on it. */
export interface ConsoleEnv {
  readonly services: ServicesEnv;
  readonly console: RunningConsole;
  readonly browser: Browser;
  readonly page: Page;
  /** Saves a screenshot as test-output/console/<name>.png; returns its path. */
  screenshot(name: string): Promise<string>;
  teardown(): Promise<void>;
}

/**
 * Starts everything; the page is 1440×900 (a laptop) unless `viewport` says
 * otherwise; `runner` sets the runner's options (e.g. its flow version).
 */
export async function createConsoleEnv(
  flows: readonly RegisteredFlow[],
  viewport = { width: 1440, height: 900 },
  runner: RunnerEnvOptions = {},
): Promise<ConsoleEnv> {
  const services = await createServicesEnv(flows, runner);
  const running = await startConsole({
    host: "127.0.0.1",
    port: 0,
    runnerUrl: `http://${services.runner.address}`,
    plannerUrl: `http://${services.planner.address}`,
    timeoutMs: 30_000,
  });
  const browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const page = await browser.newPage();
  await page.setViewport(viewport);
  // The page's own failures belong in the test's output.
  page.on("pageerror", (error) => process.stderr.write(`[page error] ${String(error)}\n`));
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    services,
    console: running,
    browser,
    page,
    async screenshot(name) {
      const file = path.join(SCREENSHOTS, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    async teardown() {
      await browser.close();
      await running.stop();
      await services.teardown();
    },
  };
}
