/**
 * Help texts and the version of the `kitaru` command.
 *
 * @module
 */
import { defaultServiceUrl } from "#contract/service-addresses.ts";

/** The version `kitaru --version` prints (package.json `version`). */
export const VERSION = "0.1.0";

/** Help topics: the whole CLI, a command group, or one command. */
export type HelpTopic =
  | "kitaru"
  | "executions"
  | "flows"
  | "executions.get"
  | "executions.list"
  | "executions.latest"
  | "executions.replay"
  | "executions.input"
  | "executions.retry"
  | "executions.cancel"
  | "executions.watch"
  | "executions.logs"
  | "executions.tree"
  | "executions.diff"
  | "executions.verify"
  | "flows.run"
  | "flows.list"
  | "jobs"
  | "jobs.get"
  | "jobs.list"
  | "jobs.diff"
  | "jobs.cancel"
  | "jobs.watch";

const OUTPUT = "  -o, --output text|json   Output format (default text); JSON goes to stdout, errors to stderr";

const texts: Record<HelpTopic, string> = {
  kitaru: `kitaru ${VERSION}: durable execution for agent workflows

Usage: kitaru <command> [options]

Commands:
  flows run <flow>             Start an execution of a registered flow
  flows list                   List the flows the runner serves
  executions <subcommand>      Inspect, answer, replay and follow executions
  jobs <subcommand>            Follow, compare and cancel replay jobs (bulk replays)
  runner [options]             Start the runner service
  planner [options]            Start the planner service
  console [options]            Serve the browser console (${defaultServiceUrl("console")})

Options:
  -h, --help                   Show help (also: kitaru <group> --help)
  -V, --version                Show the version

Environment:
  KITARU_RUNNER_URL            Runner URL (default ${defaultServiceUrl("runner")})
  KITARU_PLANNER_URL           Planner URL (default ${defaultServiceUrl("planner")})
  KITARU_TOKEN                 Bearer token sent to both services`,

  executions: `Usage: kitaru executions <subcommand> [options]

Subcommands:
  get <exec_id>                Show one execution with its checkpoints
  list                         List executions, newest first
  latest                       Show the newest execution
  replay <exec_id>             Replay an execution as a new one (or --plan it)
  replay --flow NAME ...       Replay every execution selected, as one replay job
  input [exec_id]              Answer a pending wait (--value, --abort, --interactive)
  retry <exec_id>              Retry a failed execution
  cancel <exec_id>             Cancel a running or waiting execution
  watch <exec_id>              Follow an execution's events live
  logs <exec_id>               Show (or --follow) the log lines of checkpoint code
  tree <exec_id>               Show the execution's family: its original, replays and their replays
  diff <base> <other>          Compare two executions call by call (e.g. a replay with its source)
  verify [exec_id ...]         Check recorded executions against flow code without running anything

Every subcommand takes -o/--output text|json. Run
\`kitaru executions <subcommand> --help\` for its options.`,

  flows: `Usage: kitaru flows <subcommand> [options]

Subcommands:
  run <flow>                   Start an execution of a registered flow
  list                         List the flows the runner serves, with their input schemas`,

  "executions.get": `Usage: kitaru executions get <exec_id> [-o text|json]

Show one execution: status, input, result, failure, pending waits and
checkpoint calls (reused calls are marked).

${OUTPUT}`,

  "executions.list": `Usage: kitaru executions list [--flow NAME] [--status STATUS] [--limit N | --page N --size N] [-o text|json]

List executions, newest first, a page at a time.

  --flow NAME              Only executions of this flow
  --status STATUS          running, waiting, completed, failed or cancelled
  --page N                 1-based page number (default 1)
  --size N                 Executions per page, 1 to 200 (default 20)
  --limit N                The first N executions instead of a page (not with --page/--size)
${OUTPUT}`,

  "executions.logs": `Usage: kitaru executions logs <exec_id> [--checkpoint NAME] [--limit N] [--follow]
                              [--grouped] [-v | -vv] [-o text|json]

Show the lines checkpoint code wrote (console.* and kitaru's logger), oldest
first. With --follow, keep printing new lines until the execution ends; the
exit code is 0 when it completed and 1 when it failed or was cancelled.

  --checkpoint NAME        Only this checkpoint (a name, invocation ID or call ID)
  --limit N                At most N lines
  --follow                 Stream new lines until the execution ends
  --grouped                Group lines under a header per checkpoint (text only)
  -v, -vv                  Add time and level; -vv also the checkpoint
  --source step            Which logs (only \`step\`, the default, is stored)
  --interval SECONDS       Accepted for Kitaru compatibility; --follow streams
${OUTPUT} (with --follow: one {"command","event","item"} line per event)`,

  "executions.tree": `Usage: kitaru executions tree <exec_id> [--max N] [-o text|json]

Show the execution's family as a tree: the original it descends from through
replays, then every replay of it and of its replays (oldest first), each with
its status, what the replay asked for and how often it was retried. The
execution asked about is marked.

  --max N                  At most N executions (1 to 1000, default 200)
${OUTPUT}`,

  "executions.diff": `Usage: kitaru executions diff <base_exec_id> <other_exec_id> [-o text|json]

Compare two executions call by call, typically a replay (other) with its
source (base): each call reused, run again with the same output, run again
with another output, overridden, new, or not reached, with what changed in
what the flow saw; then the input and result differences.

${OUTPUT}`,

  "executions.verify": `Usage: kitaru executions verify [<exec_id> ...] [--flow NAME] [--status STATUS] [--limit N]
                                [--flows MODULE [--flow-version V]] [-o text|json]

Check recorded executions against flow code, without running a checkpoint or
writing anything: the body runs from the top, every recorded call is
answered from the record and every wait from its recorded answer. Prints per
execution whether the code would continue it (compatible), diverges from
its record (with where, and the replay that would move it to this code), or
would fail. Exits 1 when any diverged or would fail: use it in CI before a
deploy ("will the new code resume the executions waiting for approval?").

Which code: the runner's (KITARU_RUNNER_URL), or with --flows the flows
module given, loaded here (histories are read from the runner).
Which executions: the IDs given, or --flow/--status, newest first (--limit,
default 20, at most 1000).

  --flows MODULE           Check against this flows module instead of the runner's code
  --flow-version V         The version to report for --flows (default: a digest of its sources)
${OUTPUT}`,

  "executions.latest": `Usage: kitaru executions latest [--flow NAME] [--status STATUS] [-o text|json]

Show the newest execution matching the filters.

  --flow NAME              Only executions of this flow
  --status STATUS          running, waiting, completed, failed or cancelled
${OUTPUT}`,

  "executions.replay": `Usage: kitaru executions replay <exec_id> --from SELECTOR [--args JSON] [--overrides JSON]
                                [--allow-override-type-change] [--answer-waits-from-source NAME[,NAME]]
                                [--plan | --wait] [--request-id ID] [-o text|json]
       kitaru executions replay --flow NAME [--status S] [--since T] [--until T] [--label K=V]
                                [--ids ID,...] [--limit N] --from SELECTOR [--args JSON] [--overrides JSON]
                                [--concurrency N] [--answer-waits-from-source NAME[,NAME]]
                                [--plan | --wait] [--request-id ID] [-o text|json]

Replay an execution as a new one. Calls before the replay point (and not
downstream of an override) are reused; the rest run again.

With --flow or --ids instead of an execution ID, replay every execution
selected with the same --from, --args and --overrides, as one replay job
(\`kitaru jobs\`): the sources are fixed when the job starts, a source the
replay cannot apply to is reported with its error while the others proceed,
and a repeated --request-id never replays a source twice.

  --from SELECTOR          Checkpoint name, invocation ID or call ID (required)
  --args JSON              Flow input fields merged onto the source input, e.g. '{"topic":"AI"}'
  --overrides JSON         Checkpoint outputs to replace, e.g. '{"checkpoint.research":"Edited notes"}'
  --allow-override-type-change
                           Accept an override of another type than the output it replaces
                           (else refused: it must fit the checkpoint's outputSchema or JSON type)
  --answer-waits-from-source NAME[,NAME]
                           Answer these waits (names given to wait()) with the source's recorded
                           answers, recorded as copied from it; a wait the source never answered
                           waits for input as usual (default: every wait asks again)
  --plan                   Show what would be re-executed and reused; create nothing
  --wait                   Follow the new execution (or the job, with a progress line) to its end
  --request-id ID          Idempotency key: the same ID returns the same execution (or job)

Selecting executions (a replay job; every option given must hold):
  --flow NAME              Executions of this flow
  --status STATUS          completed, failed, cancelled or waiting (repeat or comma-separate;
                           default all four)
  --since T, --until T     Created in this window: an ISO 8601 time or a duration before
                           now (30m, 2h, 7d)
  --label KEY=VALUE        Whose metadata (logged by the flow) holds this value (repeatable)
  --ids ID,...             These executions
  --limit N                At most N, newest first (default all, at most 10000)
  --concurrency N          Replays running at once (default the planner's, 4)
${OUTPUT}`,

  "executions.input": `Usage: kitaru executions input <exec_id> --value JSON [-o text|json]
       kitaru executions input <exec_id> --abort [-o text|json]
       kitaru executions input [exec_id] --interactive

Answer a pending wait. --value and --abort pick the execution's single
pending wait; with several, use --interactive.

  --value JSON             The answer, validated by the wait's schema
  --abort                  Abort the wait (the execution ends cancelled)
  -i, --interactive        Prompt for each pending wait (of every waiting
                           execution when no exec_id is given); needs a TTY
${OUTPUT}`,

  "executions.retry": `Usage: kitaru executions retry <exec_id> [-o text|json]

Retry a failed execution under the same ID; completed calls are reused.

${OUTPUT}`,

  "executions.cancel": `Usage: kitaru executions cancel <exec_id> [-o text|json]

Cancel a running or waiting execution.

${OUTPUT}`,

  "executions.watch": `Usage: kitaru executions watch <exec_id> [--follow-waits] [-o text|json]

Show an execution's events (history first, then live) until it ends or
waits for input. Exit code 1 when it ended failed or cancelled.

  --follow-waits           Keep following while it waits for input
${OUTPUT} (JSON: one {"command","event"} line per event)`,

  "flows.list": `Usage: kitaru flows list [-o text|json]

List the flows the runner serves, with the JSON Schema of their input.

${OUTPUT}`,

  "flows.run": `Usage: kitaru flows run <flow> [--args JSON] [--wait] [--request-id ID] [-o text|json]

Start an execution of a registered flow.

  --args JSON              The flow input, a JSON object (default {})
  --wait                   Follow the execution to its end, showing progress
  --request-id ID          Idempotency key: the same ID returns the same execution
${OUTPUT}`,

  jobs: `Usage: kitaru jobs <subcommand> [options]

Replay jobs replay many executions at once (\`kitaru executions replay --flow ...\`).

Subcommands:
  get <job_id>                 Show a job: what it replays and its totals
  list                         List jobs, newest first
  diff <job_id>                Each source → its replay: status, result changed, calls reused / re-run / changed
  cancel <job_id>              Stop starting replays (started ones run on)
  watch <job_id>               Follow a job's progress until it ends`,

  "jobs.get": `Usage: kitaru jobs get <job_id> [-o text|json]

Show a replay job: its state, what it selected and asked for, and its totals
("41 completed, 3 failed, 17 results changed").

${OUTPUT}`,

  "jobs.list": `Usage: kitaru jobs list [--limit N] [-o text|json]

List replay jobs, newest first, with their totals.

  --limit N                At most N jobs (1 to 1000, default 20)
${OUTPUT}`,

  "jobs.diff": `Usage: kitaru jobs diff <job_id> [--changed] [-o text|json]

Compare every replay of a job with its source: the replay, its status,
whether its result changed (and how), and its calls reused, run again with
the same output, and changed. A source the replay could not apply to shows
its error. Ends with the totals. Exit code 1 when a replay failed or a
source was refused.

  --changed                Only the sources whose result changed
${OUTPUT}`,

  "jobs.cancel": `Usage: kitaru jobs cancel <job_id> [-o text|json]

Cancel a replay job: no replay is started after it; replays started before
run on and are compared as usual.

${OUTPUT}`,

  "jobs.watch": `Usage: kitaru jobs watch <job_id> [-o text|json]

Follow a replay job: a progress line whenever its totals change, until it
ends. Exit code 1 when a replay failed or a source was refused.

${OUTPUT} (JSON: one {"command","event"} line per report)`,
};

/** The help text of a topic. */
export function helpText(topic: HelpTopic): string {
  return texts[topic];
}
