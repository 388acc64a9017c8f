// The desktop app's palette, the window its global shortcut shows over any application: type,
// pick, fill in the inputs if the prompt has any, Enter renders, and the app pastes the text into
// the window that was in front (or copies it and says why not). Esc hides it. While the server
// cannot be reached it lists the favorites and recent prompts saved on this computer.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, isOnline, OfflineError, onConnectivity, type Api, type PromptDetail } from "../api/client";
import type { DesktopBridge } from "../desktop";
import type { Schema } from "../inputs";
import * as saved from "../saved";
import { ApiContext, useApi } from "../session";
import { describe } from "./ErrorNotice";
import { InputForm } from "./InputForm";
import { PromptSearch } from "./PromptSearch";

interface Props {
  bridge: DesktopBridge;
  /** Why paste cannot work here (Enter then copies only). */
  pasteProblem: string | null;
}

/** A saved prompt's templates as text, for copying while rendering is out of reach. */
export function templateText(detail: PromptDetail): string {
  return detail.messages.map((message) => message.content).join("\n\n");
}

export function DesktopPalette({ bridge, pasteProblem }: Props) {
  const api = useApi();
  const [query, setQuery] = useState("");
  const [picked, setPicked] = useState<PromptDetail | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [said, setSaid] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const [online, setOnline] = useState(isOnline());
  // The search says so too when the server does not answer (the client's own flag follows it).
  const searching: Api = useMemo(
    () => ({
      ...api,
      async search(...args: Parameters<Api["search"]>) {
        try {
          const hits = await api.search(...args);
          setOnline(true);
          return hits;
        } catch (reason) {
          if (reason instanceof OfflineError) setOnline(false);
          throw reason;
        }
      },
    }),
    [api],
  );
  const [shelf, setShelf] = useState<saved.SavedPrompt[]>([]);
  const [generation, setGeneration] = useState(0); // a new search box, focused, after each use
  const root = useRef<HTMLDivElement>(null);

  const reset = useCallback(() => {
    setQuery("");
    setPicked(null);
    setFieldErrors({});
    setSaid(null);
    setBusy(false);
    setGeneration((g) => g + 1);
  }, []);

  const hide = useCallback(() => {
    reset();
    void bridge.hide_palette();
  }, [bridge, reset]);

  useEffect(() => onConnectivity(setOnline), []);
  useEffect(() => {
    if (online) return;
    Promise.all([saved.list("favorites"), saved.list("recent")]).then(
      ([favorites, recent]) => setShelf([...favorites, ...recent.filter((r) => !favorites.some((f) => f.id === r.id))]),
      () => setShelf([]),
    );
    const timer = setInterval(() => void api.alive(), 3000);
    return () => clearInterval(timer);
  }, [api, online]);

  useEffect(() => {
    if (picked) root.current?.querySelector<HTMLElement>("form input, form textarea, form select")?.focus();
  }, [picked]);

  useEffect(() => {
    // Shown again: the keys go to the search box (or the first input).
    const focus = () => root.current?.querySelector<HTMLElement>("input, textarea, select")?.focus();
    window.addEventListener("focus", focus);
    return () => window.removeEventListener("focus", focus);
  }, []);

  const insert = useCallback(
    async (detail: PromptDetail, inputs: Record<string, unknown>) => {
      setBusy(true);
      setSaid(null);
      try {
        const rendered = await api.render(detail.id, inputs);
        const result = await bridge.insert_text(rendered.text);
        api.reportUse(detail.id, rendered.version).catch(() => undefined);
        saved.put("recent", detail).catch(() => undefined);
        if (result.pasted) reset();
        else setSaid({ text: result.message, error: false });
      } catch (reason) {
        if (reason instanceof ApiError && reason.status === 422 && Object.keys(reason.fields).length) setFieldErrors(reason.fields);
        setSaid({ text: describe(reason), error: true });
      } finally {
        setBusy(false);
      }
    },
    [api, bridge, reset],
  );

  const pick = useCallback(
    async (id: string) => {
      setSaid(null);
      try {
        const detail = await api.prompt(id);
        if (Object.keys(detail.inputs).length === 0) await insert(detail, {});
        else setPicked(detail);
      } catch (reason) {
        setSaid({ text: describe(reason), error: true });
      }
    },
    [api, insert],
  );

  const copySaved = async (item: saved.SavedPrompt) => {
    await bridge.copy_text(templateText(item.detail));
    setSaid({
      text: `Offline: copied the template of ${item.id} ${item.version} as saved on ${new Date(item.savedAt).toLocaleDateString()}, not rendered (rendering needs the server). Paste it yourself.`,
      error: false,
    });
  };

  useEffect(() => {
    // Esc hides, wherever the focus is in the window (before the search box's own Esc).
    const keyDown = (event: KeyboardEvent) => {
      if (event.key !== "Escape") return;
      event.preventDefault();
      event.stopPropagation();
      hide();
    };
    window.addEventListener("keydown", keyDown, true);
    return () => window.removeEventListener("keydown", keyDown, true);
  }, [hide]);

  const words = query.trim().toLowerCase();
  const matching = shelf.filter((item) => !words || `${item.title} ${item.id}`.toLowerCase().includes(words));

  return (
    <div className="desktop-palette" ref={root}>
      {picked ? (
        <section aria-labelledby="palette-prompt">
          <h1 id="palette-prompt">{picked.title}</h1>
          <p className="hint">
            {picked.id}@{picked.version}: fill in the inputs, Enter {pasteProblem ? "copies" : "pastes"} the result.
          </p>
          <InputForm inputs={picked.inputs as Record<string, Schema>} serverErrors={fieldErrors} busy={busy} onRender={(inputs) => void insert(picked, inputs)} />
        </section>
      ) : (
        <ApiContext.Provider value={searching}>
          <PromptSearch
            key={generation}
            filters={{}}
            query={query}
            onQuery={setQuery}
            autoFocus
            label="Find a prompt"
            onPick={(hit) => void pick(hit.id)}
          />
        </ApiContext.Provider>
      )}
      {!online && !picked && (
        <section aria-label="Saved prompts" className="notice offline">
          <p role="status">Offline: the server cannot be reached. Favorites and recent prompts saved on this computer:</p>
          {matching.length ? (
            <ul className="saved-list">
              {matching.map((item) => (
                <li key={item.id}>
                  <button type="button" className="small" onClick={() => void copySaved(item)}>
                    {item.title}
                  </button>{" "}
                  <span className="hit-id">
                    {item.id}@{item.version}
                  </span>
                </li>
              ))}
            </ul>
          ) : (
            <p>None saved{words ? " matches" : " yet"}.</p>
          )}
        </section>
      )}
      {said && (
        <p className={said.error ? "error-text" : "notice"} role={said.error ? "alert" : "status"}>
          {said.text}
        </p>
      )}
      <p className="hint">
        ↑ ↓ to move, Enter to {pasteProblem ? "copy" : "paste into the window you came from"}, Esc to hide
        {pasteProblem ? ` (pasting is off: ${pasteProblem})` : ""}
      </p>
    </div>
  );
}
