/** Characters a POSIX shell word may hold without quotes. */
const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * The CLI command that replays execution `execId` from the call `from`
 * (an invocation ID), quoted for a POSIX shell: what a divergence on a
 * resume suggests to continue the work on the new code.
 */
export function replayCommand(execId: string, from: string): string {
  return `kitaru executions replay ${shellWord(execId)} --from ${shellWord(from)}`;
}

/**
 * The commands that move a held execution's work to new code: cancel it (a
 * held execution is `running`, so it cannot be replayed, and a runner of its
 * version could still finish it: the work would run twice), then replay it.
 */
export function cancelThenReplayCommand(execId: string, from: string): string {
  return `kitaru executions cancel ${shellWord(execId)} && ${replayCommand(execId, from)}`;
}

function shellWord(word: string): string {
  return SHELL_SAFE.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
