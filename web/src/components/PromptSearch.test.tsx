import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it, vi } from "vitest";
import type { Api, SearchHit } from "../api/client";
import { ApiContext } from "../session";
import { PromptSearch } from "./PromptSearch";

function hit(id: string, title: string, snippet: string): SearchHit {
  return {
    id, title, snippet, score: 1, description: "", version: "1.0.0", status: "active", scope: "team", channel: "stable",
    tags: [], owners: [], collection: id.split("/")[0]!, aliases: [], path: "",
  };
}

const HITS = [hit("eng/review", "Code review", "a [review] of code"), hit("eng/reviewer", "Reviewer notes", "[review]er notes")];

function Harness({ onPick, search }: { onPick: (hit: SearchHit) => void; search: Api["search"] }) {
  const [query, setQuery] = useState("");
  const api = { search } as unknown as Api;
  return (
    <ApiContext.Provider value={api}>
      <PromptSearch filters={{}} query={query} onQuery={setQuery} onPick={onPick} autoFocus
        suggestTags={[{ name: "python", count: 3 }]} onTag={() => undefined} />
    </ApiContext.Provider>
  );
}

describe("PromptSearch", () => {
  it("searches as the user types, highlights matches, and opens a result with the arrows and Enter", async () => {
    const user = userEvent.setup();
    const onPick = vi.fn();
    const search = vi.fn(async (q: string) => (q.startsWith("rev") ? HITS : []));
    render(<Harness onPick={onPick} search={search} />);
    const box = screen.getByRole("combobox", { name: "Search prompts" });
    expect(box).toHaveFocus();
    await user.keyboard("rev");
    const options = await screen.findAllByRole("option");
    expect(options.map((o) => o.textContent)).toEqual([
      expect.stringContaining("Code review"),
      expect.stringContaining("Reviewer notes"),
    ]);
    expect(options[0]!.querySelector("mark")?.textContent).toBe("review");
    expect(options[0]).toHaveAttribute("aria-selected", "true");
    await user.keyboard("{ArrowDown}");
    expect(screen.getAllByRole("option")[1]).toHaveAttribute("aria-selected", "true");
    expect(box).toHaveAttribute("aria-activedescendant", screen.getAllByRole("option")[1]!.id);
    await user.keyboard("{Enter}");
    expect(onPick).toHaveBeenCalledWith(HITS[1]);
    await user.keyboard("{Escape}");
    expect(box).toHaveValue("");
  });

  it("suggests fewer words or a tag when nothing matches", async () => {
    const user = userEvent.setup();
    render(<Harness onPick={() => undefined} search={async () => []} />);
    await user.keyboard("zebra unicorn");
    await waitFor(() => expect(screen.getByRole("status")).toHaveTextContent("No prompt matches “zebra unicorn”. Try fewer words, or a tag:"));
    expect(screen.getByRole("button", { name: /python/ })).toBeVisible();
  });
});
