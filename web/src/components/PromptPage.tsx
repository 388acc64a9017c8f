// One prompt: what it is, its versions, its template, the input form, the rendered preview and
// the copy buttons. While the server is unreachable, a saved copy (favorites, recent) is shown.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, OfflineError, type PromptDetail, type RenderResponse, type VersionItem } from "../api/client";
import { platform } from "../platform";
import { Link, navigate, promptPath, withQuery } from "../router";
import * as saved from "../saved";
import { useApi } from "../session";
import { Badges } from "./Badges";
import { ErrorNotice, describe } from "./ErrorNotice";
import { InputForm } from "./InputForm";
import type { Schema } from "../inputs";

interface Loaded {
  detail: PromptDetail;
  savedAt: number | null; // a saved copy, read while offline
}

export function PromptPage({ id, version }: { id: string; version: string | null }) {
  const api = useApi();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [versions, setVersions] = useState<VersionItem[]>([]);
  const [favorite, setFavorite] = useState(false);
  const [storageProblem, setStorageProblem] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setLoaded(null);
    setError(null);
    api.prompt(id, version).then(
      (detail) => live && setLoaded({ detail, savedAt: null }),
      async (reason: unknown) => {
        const copy = reason instanceof OfflineError ? await saved.cached(id).catch(() => undefined) : undefined;
        if (!live) return;
        if (copy && (!version || copy.version === version)) setLoaded({ detail: copy.detail, savedAt: copy.savedAt });
        else setError(reason);
      },
    );
    api.versions(id).then(
      (items) => live && setVersions([...items].reverse()),
      () => live && setVersions([]),
    );
    saved.get("favorites", id).then(
      (item) => live && setFavorite(item !== undefined),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api, id, version]);

  useEffect(() => {
    if (loaded) document.title = `${loaded.detail.title} · Prompt Engine`;
  }, [loaded]);

  if (error !== null) {
    return (
      <section aria-labelledby="prompt-heading">
        <h1 id="prompt-heading">{id}</h1>
        <ErrorNotice error={error} />
        {error instanceof OfflineError && <p>No copy of this prompt is saved in this browser; favorites and recent prompts are.</p>}
        <p>
          <Link to="/">Back to search</Link>
        </p>
      </section>
    );
  }
  if (!loaded) return <p role="status">Loading {id}…</p>;

  const { detail, savedAt } = loaded;
  const toggleFavorite = async () => {
    try {
      if (favorite) await saved.remove("favorites", detail.id);
      else await saved.put("favorites", detail);
      setFavorite(!favorite);
      setStorageProblem(null);
    } catch {
      setStorageProblem("Favorites are kept in this browser's storage (IndexedDB), which it refuses here (a private window?).");
    }
  };
  const previous = versions.find((v) => v.version !== detail.version)?.version;

  return (
    <article aria-labelledby="prompt-heading" className="prompt-page">
      <header className="prompt-header">
        <h1 id="prompt-heading">{detail.title}</h1>
        <p className="description">{detail.description}</p>
        {savedAt !== null && (
          <p className="notice offline" role="status">
            Offline: this is the copy of version {detail.version} saved on {new Date(savedAt).toLocaleString()}. Rendering needs the server.
          </p>
        )}
        <dl className="facts">
          <dt>Id</dt>
          <dd>
            <code>{detail.id}</code>
          </dd>
          <dt>Version</dt>
          <dd>
            {versions.length > 0 && savedAt === null ? (
              <select
                aria-label="Version"
                value={version ? detail.version : ""}
                onChange={(e) => navigate(promptPath(detail.id, e.target.value || null))}
              >
                <option value="">Current ({versions[0]?.version ?? detail.version})</option>
                {versions.map((v) => (
                  <option key={v.commit + v.version} value={v.version}>
                    {v.version} · {v.date.slice(0, 10)} · {v.status}
                  </option>
                ))}
              </select>
            ) : (
              detail.version
            )}
          </dd>
          <dt>Status</dt>
          <dd>
            <Badges prompt={detail} all />
          </dd>
          <dt>Owners</dt>
          <dd>{detail.owners.join(", ")}</dd>
          {detail.tags.length > 0 && (
            <>
              <dt>Tags</dt>
              <dd>
                <ul className="tag-list inline">
                  {detail.tags.map((tag) => (
                    <li key={tag}>
                      <Link className="tag" to={withQuery("/", { tag })}>
                        {tag}
                      </Link>
                    </li>
                  ))}
                </ul>
              </dd>
            </>
          )}
          {detail.aliases.length > 0 && (
            <>
              <dt>Also known as</dt>
              <dd>{detail.aliases.join(", ")}</dd>
            </>
          )}
          {detail.replaced_by && (
            <>
              <dt>Replaced by</dt>
              <dd>
                <Link to={promptPath(detail.replaced_by)}>{detail.replaced_by}</Link>
              </dd>
            </>
          )}
        </dl>
        <div className="actions">
          <button type="button" aria-pressed={favorite} onClick={() => void toggleFavorite()}>
            {favorite ? "★ Favorite" : "☆ Add to favorites"}
          </button>
          {storageProblem && <span className="error-text">{storageProblem}</span>}
          {previous && savedAt === null && (
            <Link className="button" to={withQuery(`/diff/${detail.id}`, { from: previous, to: detail.version })}>
              Compare versions
            </Link>
          )}
        </div>
      </header>
      <Workbench key={`${detail.id}@${detail.version}`} detail={detail} exact={version !== null} offline={savedAt !== null} />
      <section aria-labelledby="template-heading">
        <h2 id="template-heading">Template</h2>
        {detail.messages.map((message, i) => (
          <div key={i} className="message">
            <h3>{message.role}</h3>
            <pre tabIndex={0} aria-label={`${message.role} template`}>{message.content}</pre>
          </div>
        ))}
      </section>
    </article>
  );
}

/** The form, the rendered preview and the copy buttons of one version. */
function Workbench({ detail, exact, offline }: { detail: PromptDetail; exact: boolean; offline: boolean }) {
  const api = useApi();
  const [result, setResult] = useState<RenderResponse | null>(null);
  const [stale, setStale] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [said, setSaid] = useState("");
  const current = useRef<Record<string, unknown> | null>(null);

  const render = useCallback(
    async (inputs: Record<string, unknown>): Promise<RenderResponse | null> => {
      setBusy(true);
      setError(null);
      try {
        const rendered = await api.render(detail.id, inputs, exact ? detail.version : undefined);
        setResult(rendered);
        setStale(false);
        setFieldErrors({});
        saved.put("recent", detail).catch(() => undefined);
        return rendered;
      } catch (reason) {
        if (reason instanceof ApiError && reason.status === 422 && Object.keys(reason.fields).length) setFieldErrors(reason.fields);
        else setFieldErrors({});
        setError(reason);
        return null;
      } finally {
        setBusy(false);
      }
    },
    [api, detail, exact],
  );

  const copy = useCallback(
    async (what: "text" | "messages") => {
      let rendered = stale ? null : result;
      if (!rendered) {
        if (!current.current) {
          setSaid("Fill in the required inputs first.");
          return;
        }
        rendered = await render(current.current);
        if (!rendered) return;
      }
      const text = what === "text" ? rendered.text : JSON.stringify(rendered.messages, null, 2);
      try {
        await platform.copyText(text);
      } catch (reason) {
        setSaid(`Could not copy: ${describe(reason)}`);
        return;
      }
      setSaid(what === "text" ? `Copied the text (${text.length} characters).` : `Copied ${rendered.messages.length} messages as JSON.`);
      api.reportUse(detail.id, rendered.version).catch(() => undefined);
      saved.put("recent", detail).catch(() => undefined);
    },
    [api, detail, render, result, stale],
  );

  useEffect(() => {
    const keyDown = (event: KeyboardEvent) => {
      if (!event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.code === "KeyC") {
        event.preventDefault();
        void copy("text");
      } else if (event.code === "KeyM") {
        event.preventDefault();
        void copy("messages");
      }
    };
    window.addEventListener("keydown", keyDown);
    return () => window.removeEventListener("keydown", keyDown);
  }, [copy]);

  return (
    <div className="workbench">
      <section aria-labelledby="inputs-heading">
        <h2 id="inputs-heading">Inputs</h2>
        <InputForm
          inputs={detail.inputs as Record<string, Schema>}
          serverErrors={fieldErrors}
          onRender={render}
          onChange={(inputs) => {
            current.current = inputs;
            setStale(true);
          }}
          busy={busy}
          disabled={offline}
        />
      </section>
      <section aria-labelledby="preview-heading" className="preview">
        <h2 id="preview-heading">Preview</h2>
        {error !== null && <ErrorNotice error={error} />}
        {result ? (
          <div className={stale ? "rendered stale" : "rendered"} data-testid="rendered">
            {stale && <p className="hint">The inputs changed: render again to update.</p>}
            {result.messages.map((message, i) => (
              <div key={i} className="message">
                <h3>{message.role}</h3>
                <pre>{message.content}</pre>
              </div>
            ))}
          </div>
        ) : (
          <p className="hint">{offline ? "Rendering needs the server." : "Fill in the inputs and press Render."}</p>
        )}
        <div className="actions">
          <button type="button" onClick={() => void copy("text")} disabled={offline} aria-keyshortcuts="Alt+C">
            Copy text
          </button>{" "}
          <button type="button" onClick={() => void copy("messages")} disabled={offline} aria-keyshortcuts="Alt+M">
            Copy messages (JSON)
          </button>
          <span className="hint"> Alt+C, Alt+M</span>
        </div>
        <p role="status" aria-live="polite" className="said">
          {said}
        </p>
      </section>
    </div>
  );
}
