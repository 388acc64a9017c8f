import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { OfflineError, type Api, type PromptDetail, type SearchHit } from "../api/client";
import type { DesktopBridge } from "../desktop";
import * as saved from "../saved";
import { ApiContext } from "../session";
import { DesktopPalette } from "./DesktopPalette";

function detail(id: string, inputs: Record<string, unknown>): PromptDetail {
  return {
    id, title: id === "demo/greet" ? "Greeting" : "Runbook", description: "", version: "1.0.0", status: "active",
    scope: "team", channel: "stable", tags: [], owners: [], collection: "demo", aliases: [], path: "",
    inputs, messages: [{ role: "user", content: "Hello, {{ name }}." }],
  } as unknown as PromptDetail;
}

function hit(id: string, title: string): SearchHit {
  return { id, title, snippet: title, score: 1, description: "", version: "1.0.0", status: "active", scope: "team",
    channel: "stable", tags: [], owners: [], collection: "demo", aliases: [], path: "" };
}

const PROMPTS: Record<string, PromptDetail> = {
  "demo/greet": detail("demo/greet", { name: { type: "string", required: true } }),
  "ops/runbook": detail("ops/runbook", {}),
};

function setup({ pasted = true, offline = false } = {}) {
  const bridge = {
    state: vi.fn(), save_key: vi.fn(), forget_key: vi.fn(), open_link: vi.fn(),
    copy_text: vi.fn(async () => undefined),
    insert_text: vi.fn(async () => ({ pasted, message: pasted ? "Pasted." : "Copied; paste it yourself: xdotool is not installed." })),
    hide_palette: vi.fn(async () => undefined),
  } satisfies Record<keyof DesktopBridge, unknown>;
  const api = {
    search: vi.fn(async (q: string) => {
      if (offline) throw new OfflineError();
      return [hit("demo/greet", "Greeting"), hit("ops/runbook", "Runbook")].filter((h) => h.title.toLowerCase().includes(q.toLowerCase()));
    }),
    prompt: vi.fn(async (id: string) => PROMPTS[id]!),
    render: vi.fn(async (id: string, inputs: Record<string, unknown>) => ({ id, version: "1.0.0", text: `rendered ${id} ${JSON.stringify(inputs)}`, messages: [] })),
    reportUse: vi.fn(async () => true),
    alive: vi.fn(async () => false),
  };
  render(
    <ApiContext.Provider value={api as unknown as Api}>
      <DesktopPalette bridge={bridge as unknown as DesktopBridge} pasteProblem={pasted ? null : "xdotool is not installed"} />
    </ApiContext.Provider>,
  );
  return { bridge, api };
}

describe("DesktopPalette", () => {
  it("renders a prompt without inputs on Enter and hands the text to the app to paste", async () => {
    const user = userEvent.setup();
    const { bridge, api } = setup();
    await user.keyboard("runbook");
    await screen.findByRole("option", { name: /Runbook/ });
    await user.keyboard("{Enter}");
    await waitFor(() => expect(bridge.insert_text).toHaveBeenCalledWith("rendered ops/runbook {}"));
    expect(api.reportUse).toHaveBeenCalledWith("ops/runbook", "1.0.0");
    // Pasted: a fresh, empty search box for the next time.
    await waitFor(() => expect(screen.getByRole("combobox", { name: "Find a prompt" })).toHaveValue(""));
  });

  it("asks for the inputs first, and Enter in them renders and pastes", async () => {
    const user = userEvent.setup();
    const { bridge } = setup();
    await user.keyboard("greet");
    await screen.findByRole("option", { name: /Greeting/ });
    await user.keyboard("{Enter}");
    const name = await screen.findByRole("textbox", { name: /name/ });
    await waitFor(() => expect(name).toHaveFocus());
    await user.keyboard("Ada{Enter}");
    await waitFor(() => expect(bridge.insert_text).toHaveBeenCalledWith('rendered demo/greet {"name":"Ada"}'));
  });

  it("says why when the text could only be copied, and Esc hides", async () => {
    const user = userEvent.setup();
    const { bridge } = setup({ pasted: false });
    expect(screen.getByText(/pasting is off: xdotool is not installed/)).toBeVisible();
    await user.keyboard("runbook");
    await screen.findByRole("option", { name: /Runbook/ });
    await user.keyboard("{Enter}");
    expect(await screen.findByText("Copied; paste it yourself: xdotool is not installed.")).toBeVisible();
    await user.keyboard("{Escape}");
    expect(bridge.hide_palette).toHaveBeenCalled();
    expect(screen.queryByText(/paste it yourself/)).toBeNull();
  });

  it("offline, lists the saved favorites and recent prompts and copies a saved template, saying so", async () => {
    await saved.put("favorites", PROMPTS["demo/greet"]!);
    const user = userEvent.setup();
    const { bridge } = setup({ offline: true });
    await user.keyboard("gre");
    expect(await screen.findByText(/Offline: the server cannot be reached/)).toBeVisible();
    await user.click(await screen.findByRole("button", { name: "Greeting" }));
    expect(bridge.copy_text).toHaveBeenCalledWith("Hello, {{ name }}.");
    expect(screen.getByText(/copied the template of demo\/greet 1.0.0 .* not rendered/)).toBeVisible();
    await saved.remove("favorites", "demo/greet");
  });
});
