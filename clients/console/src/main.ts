/**
 * The console page: a hash router between the executions list
 * (`#/executions?flow=&status=`), one execution (`#/executions/<id>`;
 * `?diff` opens it at its diff), the replay jobs (`#/jobs`) and one job
 * (`#/jobs/<job_id>`).
 */
import { h, replaceChildren } from "./dom.ts";
import { executionView } from "./execution-view.ts";
import { executionsList } from "./executions-list.ts";
import { replayJobView } from "./replay-job-view.ts";
import { replayJobsList } from "./replay-jobs-list.ts";
import type { View } from "./view.ts";

const root = document.getElementById("app") ?? document.body;
let current: View | undefined;

/** The view an address names; anything unknown shows the executions list. */
function view(path: string, query: URLSearchParams): View {
  const execution = /^\/executions\/([^/]+)$/.exec(path)?.[1];
  if (execution) return executionView(decodeURIComponent(execution), { diff: query.has("diff") });
  const job = /^\/jobs\/([^/]+)$/.exec(path)?.[1];
  if (job) return replayJobView(decodeURIComponent(job));
  if (path === "/jobs") return replayJobsList();
  return executionsList(query);
}

function route(): void {
  current?.dispose();
  const [path = "", query = ""] = location.hash.replace(/^#/, "").split("?");
  current = view(path, new URLSearchParams(query));
  replaceChildren(root, current.element);
  const heading = current.element.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

window.addEventListener("hashchange", route);
document.body.prepend(
  h(
    "header",
    { class: "top" },
    h("a", { href: "#/executions", class: "brand" }, "kitaru console"),
    h("nav", {}, h("a", { href: "#/executions" }, "Executions"), h("a", { href: "#/jobs" }, "Jobs")),
  ),
);
route();
