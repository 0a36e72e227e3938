/**
 * The docs' Docker Compose instructions against docker-compose.yml (issue 19):
 * the README's `docker compose up --build` lacked the two token variables the
 * compose file requires, and docs/deployment.md listed three services where
 * the file starts four. The commands themselves are run as written by
 * compose-commands.test.ts; here, what the docs tell a user to type or expect.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { composeServices, parseComposeYaml } from "./compose-file.ts";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), "utf8");
const composeText = read("docker-compose.yml");
const services = composeServices(parseComposeYaml(composeText));

/** The variables docker-compose.yml requires (`${NAME:?...}`). */
const required = [...new Set([...composeText.matchAll(/\$\{([A-Z_]+):\?/g)].map((m) => m[1] as string))].sort();

/** The fenced bash blocks of a Markdown file that run `docker compose up`. */
function composeBlocks(file: string): string[] {
  return [...read(file).matchAll(/```bash\n([\s\S]*?)```/g)].map((m) => m[1] as string).filter((block) => /docker compose up/.test(block));
}

describe("the Docker Compose instructions of the docs", () => {
  it("set every variable docker-compose.yml requires before `docker compose up`, in the README and docs/deployment.md", () => {
    assert.deepEqual(required, ["KITARU_SERVICE_TOKEN", "KITARU_TOKEN"]);
    for (const file of ["README.md", "docs/deployment.md"]) {
      const blocks = composeBlocks(file);
      assert.ok(blocks.length > 0, `${file} shows docker compose up`);
      for (const block of blocks) {
        const before = block.slice(0, block.indexOf("docker compose up"));
        for (const name of required) assert.match(before, new RegExp(`^export ${name}=`, "m"), `${file} exports ${name} before docker compose up`);
      }
    }
  });

  it("list every service the compose file starts, in order, in docs/deployment.md", () => {
    const doc = read("docs/deployment.md");
    const listed = [...doc.matchAll(/^\d+\. `([a-z]+)` —/gm)].map((m) => m[1]);
    assert.deepEqual(listed, Object.keys(services));
  });
});
