// The home page: the search box (focused on load), filters, and the prompts that match.
import { memo, useCallback, useEffect, useRef, useState } from "react";
import type { Count, Filters, PromptSummary } from "../api/client";
import { Link, navigate, promptPath, useLocation, withQuery } from "../router";
import { useApi, useSession } from "../session";
import { Badges } from "./Badges";
import { ErrorNotice } from "./ErrorNotice";
import { PromptSearch } from "./PromptSearch";

const FILTERS = ["tag", "collection", "owner", "status"] as const;
type Param = "q" | (typeof FILTERS)[number];

export function SearchPage() {
  const api = useApi();
  const session = useSession();
  const { query: params } = useLocation();
  // The query is the page's own state while typing; the address follows a moment later (a
  // shareable /?q=...), and a change of the address (Back, a tag link) comes back into it.
  const addressQuery = params.get("q") ?? "";
  const [q, setQ] = useState(addressQuery);
  const written = useRef(addressQuery);
  const typedQuery = useRef(addressQuery);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    if (addressQuery !== written.current) {
      written.current = addressQuery;
      typedQuery.current = addressQuery;
      setQ(addressQuery);
    }
  }, [addressQuery]);
  useEffect(() => () => clearTimeout(timer.current), []);
  const filters: Filters = {};
  for (const name of FILTERS) filters[name] = params.get(name) ?? undefined;
  const [tags, setTags] = useState<Count[]>([]);
  const [collections, setCollections] = useState<Count[]>([]);
  const [listed, setListed] = useState<PromptSummary[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  // Reads the address when called, so it never changes (the filters need not render again).
  const update = useCallback((changes: Partial<Record<Param, string>>) => {
    clearTimeout(timer.current);
    const now = new URLSearchParams(location.search);
    // The query is what is in the box, written into the address yet or not.
    const query = changes.q ?? typedQuery.current;
    const next: Record<string, string | null> = { q: query };
    for (const name of FILTERS) next[name] = changes[name] ?? now.get(name);
    written.current = query;
    if (changes.q !== undefined) {
      typedQuery.current = changes.q;
      setQ(changes.q);
    }
    navigate(withQuery("/", next), { replace: true });
  }, []);

  const typed = (value: string) => {
    typedQuery.current = value;
    setQ(value);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => update({ q: value }), 300);
  };

  useEffect(() => {
    api.tags().then(setTags, () => setTags([]));
    api.collections().then(setCollections, () => setCollections([]));
  }, [api]);

  const { tag, collection, owner, status } = filters;
  useEffect(() => {
    if (q.trim()) return;
    const controller = new AbortController();
    api.list({ tag, collection, owner, status }, controller.signal).then(
      (items) => {
        setListed(items);
        setError(null);
      },
      (reason: unknown) => {
        if (!controller.signal.aborted) setError(reason);
      },
    );
    return () => controller.abort();
  }, [api, q, tag, collection, owner, status]);

  return (
    <section aria-labelledby="search-heading">
      <h1 id="search-heading">Find a prompt</h1>
      <PromptSearch
        filters={filters}
        query={q}
        onQuery={typed}
        onPick={(hit) => {
          update({ q }); // Back returns to this search
          navigate(promptPath(hit.id));
        }}
        suggestTags={tags}
        onTag={(name) => update({ tag: name, q: "" })}
        autoFocus
      />
      <FilterFields
        tag={tag}
        collection={collection}
        owner={owner}
        status={status}
        tags={tags}
        collections={collections}
        contributor={session.role !== "consumer"}
        update={update}
      />
      {!q.trim() && (
        <section aria-labelledby="all-heading">
          <h2 id="all-heading">{tag || collection || owner || status ? "Prompts with these filters" : "All prompts"}</h2>
          {error !== null && <ErrorNotice error={error} />}
          {listed && listed.length === 0 && <p>No prompt has these filters; remove one.</p>}
          <ul className="prompt-list">
            {(listed ?? []).map((p) => (
              <li key={p.id}>
                <Link to={promptPath(p.id)}>{p.title}</Link> <Badges prompt={p} />
                <span className="hit-id">
                  {p.id}@{p.version}
                </span>
                <span className="description">{p.description}</span>
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}

interface FilterProps extends Filters {
  tags: Count[];
  collections: Count[];
  contributor: boolean;
  update: (changes: Partial<Record<Param, string>>) => void;
}

/** The filters; rendered again only when they or their choices change, not at each keystroke. */
const FilterFields = memo(function FilterFields(props: FilterProps) {
  const { tag, collection, owner, status, tags, collections, contributor, update } = props;
  return (
    <fieldset className="filters">
      <legend>Filters</legend>
      <label>
        Tag
        <select value={tag ?? ""} onChange={(e) => update({ tag: e.target.value })}>
          <option value="">Any tag</option>
          {tags.map((t) => (
            <option key={t.name} value={t.name}>
              {t.name} ({t.count})
            </option>
          ))}
        </select>
      </label>
      <label>
        Collection
        <select value={collection ?? ""} onChange={(e) => update({ collection: e.target.value })}>
          <option value="">Any collection</option>
          {collections.map((c) => (
            <option key={c.name} value={c.name}>
              {c.name} ({c.count})
            </option>
          ))}
        </select>
      </label>
      <label>
        Owner
        <input type="text" value={owner ?? ""} placeholder="@team" onChange={(e) => update({ owner: e.target.value })} />
      </label>
      {contributor && (
        <label>
          Status
          <select value={status ?? ""} onChange={(e) => update({ status: e.target.value })}>
            <option value="">Any status</option>
            <option value="draft">draft</option>
            <option value="active">active</option>
            <option value="deprecated">deprecated</option>
          </select>
        </label>
      )}
    </fieldset>
  );
});
