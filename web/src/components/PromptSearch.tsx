// Search as you type, with the results as a listbox the arrows move through: Enter opens the
// highlighted prompt, Escape clears the box (and, in the palette, a second Escape closes it).
import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent } from "react";
import type { Count, Filters, SearchHit } from "../api/client";
import { useApi } from "../session";
import { Badges } from "./Badges";
import { describe } from "./ErrorNotice";
import { Snippet } from "./Snippet";

interface Props {
  filters: Filters;
  onPick: (hit: SearchHit) => void;
  query: string;
  onQuery: (query: string) => void;
  /** Tags to suggest when nothing is found. */
  suggestTags?: Count[];
  onTag?: (tag: string) => void;
  autoFocus?: boolean;
  label?: string;
}

interface Shown {
  query: string;
  hits: SearchHit[];
}

export function PromptSearch({ filters, onPick, query, onQuery, suggestTags = [], onTag, autoFocus, label = "Search prompts" }: Props) {
  const api = useApi();
  const id = useId();
  const [shown, setShown] = useState<Shown | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [active, setActive] = useState(-1);
  const input = useRef<HTMLInputElement>(null);
  const { tag, collection, owner, status } = filters;

  // The search starts in the input's own event handler (a keystroke's request leaves before
  // React renders), and from an effect when the query or the filters change otherwise; a
  // newer search cancels the one in flight.
  const started = useRef<{ key: string; controller: AbortController } | null>(null);
  const start = useCallback(
    (text: string) => {
      const key = JSON.stringify([text, tag, collection, owner, status]);
      if (started.current?.key === key) return;
      started.current?.controller.abort();
      const controller = new AbortController();
      started.current = { key, controller };
      if (!text.trim()) {
        setShown(null);
        setError(null);
        return;
      }
      api.search(text, { tag, collection, owner, status }, controller.signal).then(
        (hits) => {
          if (controller.signal.aborted) return;
          setShown({ query: text, hits });
          setError(null);
          setActive(hits.length ? 0 : -1);
        },
        (reason: unknown) => {
          if (!controller.signal.aborted) setError(reason);
        },
      );
    },
    [api, tag, collection, owner, status],
  );

  useEffect(() => start(query), [start, query]);
  useEffect(() => () => started.current?.controller.abort(), []);

  useEffect(() => {
    if (autoFocus) input.current?.focus();
  }, [autoFocus]);

  const hits = shown?.hits ?? [];
  const keyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "ArrowDown" && hits.length) {
      event.preventDefault();
      setActive((a) => Math.min(a + 1, hits.length - 1));
    } else if (event.key === "ArrowUp" && hits.length) {
      event.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (event.key === "Enter") {
      const hit = hits[active] ?? hits[0];
      if (hit) {
        event.preventDefault();
        onPick(hit);
      }
    } else if (event.key === "Escape" && query) {
      event.preventDefault(); // clears first; a second Escape reaches the dialog
      onQuery("");
    }
  };

  const listId = `${id}-results`;
  const expanded = shown !== null && hits.length > 0;
  return (
    <div className="prompt-search">
      <label htmlFor={`${id}-box`} className="search-label">
        {label}
      </label>
      <input
        id={`${id}-box`}
        ref={input}
        type="search"
        role="combobox"
        autoFocus={autoFocus} // focused as it is mounted, before the first paint
        autoComplete="off"
        spellCheck={false}
        aria-expanded={expanded}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={expanded && active >= 0 ? `${id}-hit-${active}` : undefined}
        placeholder="Words, a title, a tag…"
        value={query}
        onChange={(event) => {
          start(event.target.value);
          onQuery(event.target.value);
        }}
        onKeyDown={keyDown}
      />
      <ul role="listbox" id={listId} aria-label="Matching prompts" className="results" data-query={shown?.query ?? ""} hidden={!expanded}>
        {hits.map((hit, i) => (
          <li
            key={hit.id}
            id={`${id}-hit-${i}`}
            role="option"
            aria-selected={i === active}
            className={i === active ? "active" : undefined}
            onMouseDown={(event) => event.preventDefault()}
            onClick={() => onPick(hit)}
            onMouseMove={() => setActive(i)}
          >
            <span className="hit-title">{hit.title}</span> <Badges prompt={hit} />
            <span className="hit-id">
              {hit.id}@{hit.version}
            </span>
            <Snippet text={hit.snippet} />
          </li>
        ))}
      </ul>
      <div role="status" aria-live="polite" className="search-status">
        {error !== null ? (
          <p className="error-text">{describe(error)}</p>
        ) : shown && !hits.length ? (
          <div className="empty">
            <p>
              No prompt matches “{shown.query}”.{" "}
              {shown.query.trim().includes(" ") ? "Try fewer words" : "Try another word"}
              {tag || collection || owner || status ? ", or remove a filter" : ""}
              {suggestTags.length && onTag ? ", or a tag:" : "."}
            </p>
            {onTag && suggestTags.length > 0 && (
              <ul className="tag-list" aria-label="Suggested tags">
                {suggestTags.slice(0, 6).map((t) => (
                  <li key={t.name}>
                    <button type="button" className="tag" onClick={() => onTag(t.name)}>
                      {t.name} <span className="count">{t.count}</span>
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </div>
        ) : shown ? (
          <p className="visually-hidden">
            {hits.length} {hits.length === 1 ? "prompt" : "prompts"} found
          </p>
        ) : null}
      </div>
    </div>
  );
}
