// Collections and tags with their counts, each a link to the prompts it holds.
import { useEffect, useState } from "react";
import type { Count } from "../api/client";
import { Link, withQuery } from "../router";
import { useApi } from "../session";
import { ErrorNotice } from "./ErrorNotice";

function Counts({ title, items, param }: { title: string; items: Count[]; param: string }) {
  const id = `browse-${param}`;
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <ul className="tag-list">
        {items.map((item) => (
          <li key={item.name}>
            <Link className="tag" to={withQuery("/", { [param]: item.name })}>
              {item.name} <span className="count">{item.count}</span>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function BrowsePage() {
  const api = useApi();
  const [collections, setCollections] = useState<Count[] | null>(null);
  const [tags, setTags] = useState<Count[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    Promise.all([api.collections(), api.tags()]).then(([c, t]) => {
      setCollections(c);
      setTags(t);
    }, setError);
  }, [api]);
  return (
    <section aria-labelledby="browse-heading">
      <h1 id="browse-heading">Browse</h1>
      {error !== null && <ErrorNotice error={error} />}
      {collections && <Counts title="Collections" items={collections} param="collection" />}
      {tags && <Counts title="Tags" items={tags} param="tag" />}
    </section>
  );
}
