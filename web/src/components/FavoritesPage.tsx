// Favorites and recently used prompts, from this browser's storage: they open while the server
// is unreachable, and are brought up to date when it answers again.
import { useEffect, useState } from "react";
import { ApiError, isOnline, onConnectivity } from "../api/client";
import { Link, promptPath } from "../router";
import * as saved from "../saved";
import { useApi } from "../session";

interface Row extends saved.SavedPrompt {
  note?: string;
}

function Shelf({ shelf, title, rows, onRemove }: { shelf: saved.Shelf; title: string; rows: Row[] | null; onRemove?: (id: string) => void }) {
  const id = `shelf-${shelf}`;
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {rows && rows.length === 0 && (
        <p>{shelf === "favorites" ? "No favorites yet: open a prompt and add it." : "Prompts you render or copy show here."}</p>
      )}
      <ul className="prompt-list">
        {(rows ?? []).map((row) => (
          <li key={row.id}>
            <Link to={promptPath(row.id)}>{row.title}</Link>{" "}
            <span className="hit-id">
              {row.id}@{row.version}
            </span>
            <span className="description">{row.description}</span>
            {row.note && <span className="note">{row.note}</span>}
            {onRemove && (
              <button type="button" className="small" onClick={() => onRemove(row.id)} aria-label={`Remove ${row.title} from favorites`}>
                Remove
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function FavoritesPage() {
  const api = useApi();
  const [favorites, setFavorites] = useState<Row[] | null>(null);
  const [recent, setRecent] = useState<Row[] | null>(null);
  const [online, setOnline] = useState(isOnline());

  useEffect(() => onConnectivity(setOnline), []);

  useEffect(() => {
    let live = true;
    const load = async () => {
      const [f, r] = await Promise.all([saved.list("favorites"), saved.list("recent")]);
      if (!live) return;
      setFavorites(f);
      setRecent(r);
      if (!online) return;
      // Bring each saved copy up to date with what the server serves now.
      const refreshed = async (shelf: saved.Shelf, rows: Row[]) =>
        Promise.all(
          rows.map(async (row): Promise<Row> => {
            try {
              const detail = await api.prompt(row.id);
              if (detail.version === row.version && detail.commit === row.detail.commit) return row;
              await saved.refresh(shelf, detail, row.savedAt);
              return { ...row, version: detail.version, title: detail.title, description: detail.description, detail, note: `updated from ${row.version}` };
            } catch (error) {
              if (error instanceof ApiError && error.status === 404) return { ...row, note: "no longer available to you" };
              return row;
            }
          }),
        );
      const [nf, nr] = await Promise.all([refreshed("favorites", f), refreshed("recent", r)]);
      if (!live) return;
      setFavorites(nf);
      setRecent(nr);
    };
    load().catch(() => {
      setFavorites([]);
      setRecent([]);
    });
    return () => {
      live = false;
    };
  }, [api, online]);

  const remove = async (id: string) => {
    await saved.remove("favorites", id);
    setFavorites((rows) => (rows ?? []).filter((r) => r.id !== id));
  };

  return (
    <section aria-labelledby="favorites-heading">
      <h1 id="favorites-heading">Favorites and recent</h1>
      <Shelf shelf="favorites" title="Favorites" rows={favorites} onRemove={remove} />
      <Shelf shelf="recent" title="Recently used" rows={recent} />
    </section>
  );
}
