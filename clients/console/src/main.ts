/**
 * The console page: a hash router between the executions list
 * (`#/executions?flow=&status=`) and one execution (`#/executions/<id>`).
 */
import { h, replaceChildren } from "./dom.ts";
import { executionView } from "./execution-view.ts";
import { executionsList } from "./executions-list.ts";
import type { View } from "./view.ts";

const root = document.getElementById("app") ?? document.body;
let current: View | undefined;

function route(): void {
  current?.dispose();
  const [path = "", query = ""] = location.hash.replace(/^#/, "").split("?");
  const match = /^\/executions\/([^/]+)$/.exec(path);
  current = match?.[1] ? executionView(decodeURIComponent(match[1])) : executionsList(new URLSearchParams(query));
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
    h("nav", {}, h("a", { href: "#/executions" }, "Executions")),
  ),
);
route();
