import { afterEach, describe, expect, it, vi } from "vitest";
import { setPlatform, browserPlatform } from "../platform";
import { api, ApiError, isOnline, OfflineError } from "./client";

function answer(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

afterEach(() => {
  vi.unstubAllGlobals();
  setPlatform(browserPlatform);
});

describe("the API client", () => {
  it("sends the stored key and the client type web", async () => {
    const seen: Request[] = [];
    vi.stubGlobal("fetch", async (request: Request) => {
      seen.push(request);
      return answer(200, { tags: [{ name: "a", count: 1 }] });
    });
    setPlatform({ ...browserPlatform, loadKey: () => ({ key: "k-123", remember: false }) });
    expect(await api.tags()).toEqual([{ name: "a", count: 1 }]);
    expect(seen[0]!.headers.get("Authorization")).toBe("Bearer k-123");
    expect(seen[0]!.headers.get("X-Client-Type")).toBe("web");
  });

  it("keeps the slashes of ids in the path", async () => {
    const urls: string[] = [];
    vi.stubGlobal("fetch", async (request: Request) => {
      urls.push(request.url);
      return answer(200, { id: "eng/review", versions: [] });
    });
    await api.versions("eng/review");
    expect(new URL(urls[0]!).pathname).toBe("/api/v1/prompts/eng/review:versions");
  });

  it("retries what the server says to retry, after Retry-After", async () => {
    let calls = 0;
    vi.stubGlobal("fetch", async () => {
      calls++;
      return calls === 1
        ? answer(503, { error: { code: "not_ready", message: "the index is still being built" } }, { "Retry-After": "0" })
        : answer(200, { collections: [] });
    });
    expect(await api.collections()).toEqual([]);
    expect(calls).toBe(2);
  });

  it("turns an error body into an ApiError with its fields", async () => {
    vi.stubGlobal("fetch", async () =>
      answer(422, { error: { code: "invalid_inputs", message: "invalid inputs for a/b: name: required input is missing", fields: { name: "required input is missing" } } }),
    );
    const error = await api.render("a/b", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, code: "invalid_inputs", fields: { name: "required input is missing" } });
  });

  it("says the server is offline when nothing answers, and online again when it does", async () => {
    vi.stubGlobal("fetch", async () => {
      throw new TypeError("Failed to fetch");
    });
    await expect(api.tags()).rejects.toBeInstanceOf(OfflineError);
    expect(isOnline()).toBe(false);
    vi.stubGlobal("fetch", async () => answer(200, { tags: [] }));
    await api.tags();
    expect(isOnline()).toBe(true);
  });
});
