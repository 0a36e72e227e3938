/**
 * Notices that the process which started a service through npm has exited.
 *
 * `npx kitaru runner` (or an npm script) runs the bin through `sh -c`: npm →
 * sh → node. A SIGTERM to npm (a process manager stopping what it started,
 * `kill` of the pid a user sees) ends npm and the shell but not node, which
 * would stay on its port, serving old code. Under npm the service therefore
 * watches its parent: once it is gone (the service was re-parented), it stops
 * as it does on SIGTERM. A service started otherwise (directly, or with `&`
 * and `nohup` to outlive its shell on purpose) never watches.
 *
 * @module
 */

/** How often the parent is checked. */
const POLL_MS = 250;

/** True when the process runs under npm (`npm exec`/`npx`, `npm run`): npm sets these for what it starts. */
export function startedByNpm(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.npm_lifecycle_script !== undefined || env.npm_command !== undefined;
}

/**
 * Resolves with the pid of the parent once this process's parent changed
 * (its parent exited); never when `watch` is false. `cancel` stops watching.
 */
export function parentExit(watch: boolean): { readonly exited: Promise<number>; cancel(): void } {
  if (!watch) return { exited: new Promise(() => undefined), cancel: () => undefined };
  const parent = process.ppid;
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<number>((resolve) => {
    timer = setInterval(() => {
      if (process.ppid === parent) return;
      clearInterval(timer);
      resolve(parent);
    }, POLL_MS);
    timer.unref();
  });
  return { exited, cancel: () => clearInterval(timer) };
}
