/**
 * The Python client (clients/python) against a live runner and planner,
 * started here on a fresh test database with the flows of CLIENT_FLOWS:
 *
 * - its pytest suite (offline error, connection, TLS and retry tests, and the
 *   live ones covering every method), which must pass with nothing skipped;
 * - `mypy --strict` over the package (it ships `py.typed`);
 * - `pip install ./clients/python` into a fresh virtual environment, from
 *   PyPI alone, then the README's replay example run with that environment.
 *
 * The dev venv (clients/python/.venv) comes from scripts/install-python-client.sh,
 * which scripts/test.sh runs first; this test runs it itself when it is missing.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { stopTestServer } from "../support/database.ts";
import { createServicesEnv, type ServicesEnv } from "../support/services-env.ts";
import { startSecuredServices, type SecuredServices } from "../support/secured-services.ts";
import { CLIENT_FLOWS, CLIENT_FLOW_VERSION, REPO_ROOT, completedExecution, readmeCode, run, securedEnv } from "./client-process.ts";

const PY_DIR = path.join(REPO_ROOT, "clients/python");
const PYTHON = path.join(PY_DIR, ".venv/bin/python");

/** The environment of a Python process talking to the test services, like a user's shell would set it. */
function clientEnv(env: ServicesEnv, secured: SecuredServices): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...securedEnv(secured),
    KITARU_RUNNER_ADDR: env.runner.address,
    KITARU_RUNNER_URL: `http://${env.runner.address}`,
    KITARU_PLANNER_URL: `http://${env.planner.address}`,
    KITARU_TEST_FLOW_VERSION: CLIENT_FLOW_VERSION,
    PYTHONDONTWRITEBYTECODE: "1",
  };
}

describe("Python client (clients/python) against a live runner and planner", () => {
  let env: ServicesEnv;
  let secured: SecuredServices;

  before(async () => {
    if (!existsSync(PYTHON)) {
      const { code, output } = await run("bash", ["scripts/install-python-client.sh"], { timeoutMs: 600_000 });
      assert.equal(code, 0, `scripts/install-python-client.sh failed:\n${output}`);
    }
    env = await createServicesEnv(CLIENT_FLOWS, { flowVersion: CLIENT_FLOW_VERSION });
    secured = await startSecuredServices(CLIENT_FLOWS);
  });
  after(async () => {
    await secured?.teardown();
    await env?.teardown();
    await stopTestServer();
  });

  it("passes its pytest suite with nothing skipped: every method, errors, TLS, token, retries", async () => {
    const { code, output } = await run(PYTHON, ["-m", "pytest", "-q", "-p", "no:cacheprovider", "clients/python/tests"], {
      env: clientEnv(env, secured),
      timeoutMs: 300_000,
    });
    assert.equal(code, 0, `pytest failed:\n${output}`);
    const summary = /(\d+) passed/.exec(output);
    assert.ok(summary && Number(summary[1]) > 0, `pytest reported no passed tests:\n${output}`);
    assert.doesNotMatch(output, /\d+ (failed|error|skipped)/, `pytest failed, errored or skipped tests:\n${output}`);
  });

  it("type-checks with mypy --strict", async () => {
    const cache = mkdtempSync(path.join(os.tmpdir(), "kitaru-mypy-"));
    try {
      const { code, output } = await run(PYTHON, ["-m", "mypy", "--cache-dir", cache], { cwd: PY_DIR, timeoutMs: 300_000 });
      assert.equal(code, 0, `mypy failed:\n${output}`);
      assert.match(output, /^Success: no issues found/m);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it("installs with `pip install ./clients/python` into a fresh venv and runs the README's replay example", async () => {
    await completedExecution(env, "content_pipeline", { topic: "the README" }); // something to replay

    const dir = mkdtempSync(path.join(os.tmpdir(), "kitaru-pip-"));
    try {
      // The venv is made by the interpreter the dev venv was made from (Python 3.9+).
      const base = await run(PYTHON, ["-c", "import sys; print(sys._base_executable)"], { timeoutMs: 30_000 });
      assert.equal(base.code, 0, base.output);
      const venv = path.join(dir, "venv");
      const made = await run(base.output.trim(), ["-m", "venv", venv], { timeoutMs: 120_000 });
      assert.equal(made.code, 0, `python -m venv failed:\n${made.output}`);

      // The package index is the only source: no local wheel directories (PIP_FIND_LINKS is set
      // on these machines), no extra indexes, nothing on PYTHONPATH.
      const pipEnv: NodeJS.ProcessEnv = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: "1", PIP_NO_INPUT: "1" };
      for (const name of ["PIP_FIND_LINKS", "PIP_NO_INDEX", "PIP_EXTRA_INDEX_URL", "PYTHONPATH"]) delete pipEnv[name];
      const python = path.join(venv, "bin/python");
      const install = await run(python, ["-m", "pip", "install", "./clients/python"], { env: pipEnv, timeoutMs: 600_000 });
      assert.equal(install.code, 0, `pip install ./clients/python failed:\n${install.output}`);

      // The README's example, run from outside the repository: only the installed package can be imported.
      const script = path.join(dir, "readme_example.py");
      writeFileSync(script, readmeCode("clients/python/README.md", "python"));
      const { KITARU_RUNNER_ADDR: _, ...userEnv } = clientEnv(env, secured);
      const example = await run(python, [script], { cwd: dir, env: userEnv, timeoutMs: 120_000 });
      assert.equal(example.code, 0, `the README example failed:\n${example.output}`);
      assert.match(example.output, /^reuses \['research'\] re-executes \['write_draft', 'publish'\]$/m);
      assert.match(example.output, /^kr-[a-z2-7]+ replays kr-[a-z2-7]+$/m);
      assert.match(example.output, /^published: draft about New topic from \[Edited notes\]$/m);

      // The package, its generated stubs and py.typed are installed; no top-level `kitaru` package is.
      const check = await run(
        python,
        [
          "-c",
          "import importlib.util, kitaru_client, kitaru_client.gen.kitaru.runner.v1.runner_service_pb2_grpc as g, pathlib; " +
            "p = pathlib.Path(kitaru_client.__file__).parent; " +
            "print(p.parent.name, (p / 'py.typed').exists(), importlib.util.find_spec('kitaru') is None, g.RunnerServiceStub.__name__)",
        ],
        { cwd: dir, env: userEnv, timeoutMs: 60_000 },
      );
      assert.equal(check.code, 0, check.output);
      assert.equal(check.output.trim(), "site-packages True True RunnerServiceStub");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
