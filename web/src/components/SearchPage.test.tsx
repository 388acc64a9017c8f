import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Api } from "../api/client";
import { ApiContext, SessionContext } from "../session";
import { SearchPage } from "./SearchPage";

function fakeApi(): Api {
  return {
    tags: async () => [{ name: "python", count: 2 }],
    collections: async () => [{ name: "eng", count: 3 }],
    list: async () => [],
    search: vi.fn(async () => []),
  } as unknown as Api;
}

function renderPage(api: Api) {
  return render(
    <ApiContext.Provider value={api}>
      <SessionContext.Provider value={{ role: "consumer", withKey: false }}>
        <SearchPage />
      </SessionContext.Provider>
    </ApiContext.Provider>,
  );
}

beforeEach(() => history.replaceState(null, "", "/"));

describe("SearchPage", () => {
  it("writes the typed query into the address after a pause, and keeps it when a filter is chosen", async () => {
    const user = userEvent.setup();
    const api = fakeApi();
    renderPage(api);
    await user.type(screen.getByRole("combobox", { name: "Search prompts" }), "rev");
    expect(api.search).toHaveBeenLastCalledWith("rev", expect.anything(), expect.anything());
    await screen.findByRole("option", { name: /python/ });
    await user.selectOptions(screen.getByRole("combobox", { name: "Tag" }), "python");
    expect(location.search).toBe("?q=rev&tag=python");
    await user.clear(screen.getByRole("combobox", { name: "Search prompts" }));
    await user.type(screen.getByRole("combobox", { name: "Search prompts" }), "py");
    await waitFor(() => expect(location.search).toBe("?q=py&tag=python"));
  });

  it("hides the status filter from consumers", () => {
    renderPage(fakeApi());
    expect(screen.queryByRole("combobox", { name: "Status" })).toBeNull();
  });
});
