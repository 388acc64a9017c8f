import { beforeEach, describe, expect, it } from "vitest";
import type { PromptDetail } from "./api/client";
import * as saved from "./saved";

function detail(id: string, version = "1.0.0"): PromptDetail {
  return {
    id, title: `Title of ${id}`, description: "d", version, status: "active", scope: "team", channel: "stable",
    tags: [], owners: ["@a"], collection: id.split("/")[0]!, aliases: [], path: `prompts/${id}.prompt.md`,
    replaced_by: null, form: "md", inputs: {}, model: {}, messages: [{ role: "user", content: "hi" }], tests: [], commit: "c",
    digest: "d", source: "---\n...", partials: {}, limits: { max_output_bytes: 1048576, timeout_seconds: 2 },
  };
}

beforeEach(async () => {
  for (const shelf of ["favorites", "recent"] as const) {
    for (const item of await saved.list(shelf)) await saved.remove(shelf, item.id);
  }
});

describe("saved prompts", () => {
  it("keeps favorites with the whole prompt, newest first, until removed", async () => {
    await saved.put("favorites", detail("a/one"));
    await new Promise((r) => setTimeout(r, 5));
    await saved.put("favorites", detail("a/two", "2.0.0"));
    const items = await saved.list("favorites");
    expect(items.map((i) => [i.id, i.version])).toEqual([["a/two", "2.0.0"], ["a/one", "1.0.0"]]);
    expect(items[0]!.detail.messages[0]!.content).toBe("hi");
    await saved.remove("favorites", "a/two");
    expect((await saved.list("favorites")).map((i) => i.id)).toEqual(["a/one"]);
  });

  it(`keeps the ${saved.RECENT_LIMIT} most recent prompts`, async () => {
    for (let n = 0; n < saved.RECENT_LIMIT + 3; n++) {
      await saved.put("recent", detail(`r/p${n}`));
      await new Promise((r) => setTimeout(r, 2));
    }
    const items = await saved.list("recent");
    expect(items).toHaveLength(saved.RECENT_LIMIT);
    expect(items[0]!.id).toBe(`r/p${saved.RECENT_LIMIT + 2}`);
    expect(items.some((i) => i.id === "r/p0")).toBe(false);
  });

  it("finds a cached copy on either shelf", async () => {
    await saved.put("recent", detail("c/x", "1.1.0"));
    expect((await saved.cached("c/x"))?.version).toBe("1.1.0");
    expect(await saved.cached("c/missing")).toBeUndefined();
  });
});
