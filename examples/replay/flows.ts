/**
 * The flows of the replay example: the seed page's content pipeline.
 *
 * Run them with `kitaru runner --flows examples/replay/flows.ts`. The
 * checkpoints stand in for agent steps (an LLM researching, drafting,
 * publishing); they are deterministic so the example needs no network.
 */
import { z } from "zod";
import { checkpoint, flow, log } from "kitaru";

/** Research a topic: in a real agent, a search + an LLM summary. */
export const research = checkpoint(
  "research",
  async (topic: string) => {
    log({ sources: 3 });
    return `Three findings about ${topic}: it matters, it is changing, and people disagree about it.`;
  },
  { retries: 2, retryDelayMs: 500 },
);

/** Write a draft from the research notes. */
export const writeDraft = checkpoint("write_draft", async (notes: string, topic: string) => {
  return `# ${topic}\n\n${notes}\n\nIn short: ${topic} deserves a closer look.`;
});

/** Publish the draft: returns where it went and what was published. */
export const publish = checkpoint("publish", async (draft: string) => {
  const [heading = "", ...body] = draft.split("\n");
  const title = heading.replace(/^# /, "") || "untitled";
  return {
    url: `https://blog.example/${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`,
    title,
    body: body.filter((line) => line !== "").join(" "),
  };
});

/**
 * research → write_draft → publish. Handles are passed from call to call, so
 * lineage is precise: replaying from write_draft reuses research.
 */
export const contentPipeline = flow("content_pipeline", { input: z.object({ topic: z.string().min(1) }) }, async ({ topic }) => {
  const notes = research(topic);
  const draft = writeDraft(notes, topic);
  return await publish(draft);
});
