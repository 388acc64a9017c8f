import { afterEach, describe, expect, it, vi } from "vitest";
import { api } from "./api/client";
import { desktopPlatform, desktopView, findBridge, inDesktop, READY_EVENT, STATE_EVENT, type DesktopBridge, type DesktopState } from "./desktop";
import { browserPlatform, setPlatform } from "./platform";

const STATE: DesktopState = {
  server: "http://127.0.0.1:8000", key: "k-1", remember: true, keychain: null, shortcut: "ctrl+alt+space",
  shortcutProblem: null, pasteProblem: null, platform: "x11",
};

function fakeBridge(): DesktopBridge & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  const record = (name: string) => async (...args: unknown[]) => {
    calls.push([name, ...args]);
    return { ok: true, message: "", pasted: true } as never;
  };
  return {
    calls,
    state: async () => STATE,
    save_key: record("save_key"), forget_key: record("forget_key"), copy_text: record("copy_text"),
    insert_text: record("insert_text"), hide_palette: record("hide_palette"), open_link: record("open_link"),
  };
}

afterEach(() => {
  vi.unstubAllGlobals();
  setPlatform(browserPlatform);
  delete (window as { promptEngineDesktop?: unknown }).promptEngineDesktop;
  sessionStorage.clear();
});

describe("the desktop shell", () => {
  it("is recognised by ?shell=desktop, remembered for the window's later pages", () => {
    expect(inDesktop("", sessionStorage)).toBe(false);
    expect(inDesktop("?shell=desktop&view=palette", sessionStorage)).toBe(true);
    expect(inDesktop("?q=review", sessionStorage)).toBe(true);
    expect(desktopView("?shell=desktop&view=palette")).toBe("palette");
    expect(desktopView("?shell=desktop")).toBe("console");
  });

  it("finds the bridge the app injected, or waits for it to say it is ready", async () => {
    const bridge = fakeBridge();
    (window as { promptEngineDesktop?: unknown }).promptEngineDesktop = bridge;
    await expect(findBridge(window, 50)).resolves.toBe(bridge);
    delete (window as { promptEngineDesktop?: unknown }).promptEngineDesktop;
    const later = findBridge(window, 1000);
    (window as { promptEngineDesktop?: unknown }).promptEngineDesktop = bridge;
    window.dispatchEvent(new Event(READY_EVENT));
    await expect(later).resolves.toBe(bridge);
    delete (window as { promptEngineDesktop?: unknown }).promptEngineDesktop;
    await expect(findBridge(window, 20)).rejects.toThrow("bridge is missing");
  });

  it("keeps the key in the app (the keychain), follows the other window's sign-out, and counts uses as desktop", async () => {
    const bridge = fakeBridge();
    const desktop = desktopPlatform(bridge, STATE);
    expect(desktop.loadKey()).toEqual({ key: "k-1", remember: true });
    desktop.saveKey("k-2", false);
    expect(desktop.loadKey()).toEqual({ key: "k-2", remember: false });
    expect(bridge.calls).toContainEqual(["save_key", "k-2", false]);
    window.dispatchEvent(new CustomEvent(STATE_EVENT, { detail: { ...STATE, key: null, remember: false } }));
    expect(desktop.loadKey()).toBeNull();
    await desktop.copyText("hello");
    expect(bridge.calls).toContainEqual(["copy_text", "hello"]);

    const seen: Request[] = [];
    vi.stubGlobal("fetch", async (request: Request) => {
      seen.push(request);
      return new Response(JSON.stringify({ tags: [] }), { headers: { "Content-Type": "application/json" } });
    });
    setPlatform(desktop);
    desktop.saveKey("k-3", true);
    await api.tags();
    expect(seen[0]!.headers.get("X-Client-Type")).toBe("desktop");
    expect(seen[0]!.headers.get("Authorization")).toBe("Bearer k-3");
  });
});
