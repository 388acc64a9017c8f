// Favorites and recently used prompts, kept in the browser's IndexedDB with the whole prompt, so
// they open while the server is unreachable (with the version they were saved at).
import type { PromptDetail } from "./api/client";

export interface SavedPrompt {
  id: string;
  version: string;
  title: string;
  description: string;
  detail: PromptDetail;
  savedAt: number;
}

export type Shelf = "favorites" | "recent";

const DB_NAME = "prompt-engine";
const SHELVES: Shelf[] = ["favorites", "recent"];
export const RECENT_LIMIT = 20;

let opening: Promise<IDBDatabase> | null = null;

function open(): Promise<IDBDatabase> {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      for (const shelf of SHELVES) request.result.createObjectStore(shelf, { keyPath: "id" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => {
      opening = null;
      reject(request.error ?? new Error("IndexedDB cannot be opened"));
    };
  });
  return opening;
}

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error("IndexedDB request failed"));
  });
}

async function store(shelf: Shelf, mode: IDBTransactionMode): Promise<IDBObjectStore> {
  return (await open()).transaction(shelf, mode).objectStore(shelf);
}

function record(detail: PromptDetail): SavedPrompt {
  return {
    id: detail.id,
    version: detail.version,
    title: detail.title,
    description: detail.description,
    detail,
    savedAt: Date.now(),
  };
}

/** Newest first. */
export async function list(shelf: Shelf): Promise<SavedPrompt[]> {
  const all = await done((await store(shelf, "readonly")).getAll() as IDBRequest<SavedPrompt[]>);
  return all.sort((a, b) => b.savedAt - a.savedAt);
}

export async function get(shelf: Shelf, id: string): Promise<SavedPrompt | undefined> {
  return done((await store(shelf, "readonly")).get(id) as IDBRequest<SavedPrompt | undefined>);
}

export async function put(shelf: Shelf, detail: PromptDetail): Promise<void> {
  await done((await store(shelf, "readwrite")).put(record(detail)));
  if (shelf === "recent") {
    const all = await list("recent");
    const objects = await store("recent", "readwrite");
    await Promise.all(all.slice(RECENT_LIMIT).map((old) => done(objects.delete(old.id))));
  }
}

export async function remove(shelf: Shelf, id: string): Promise<void> {
  await done((await store(shelf, "readwrite")).delete(id));
}

/** A saved copy of ``id`` from either shelf (the newer one), for reading while offline. */
export async function cached(id: string): Promise<SavedPrompt | undefined> {
  const found = (await Promise.all(SHELVES.map((shelf) => get(shelf, id)))).filter(
    (item): item is SavedPrompt => item !== undefined,
  );
  return found.sort((a, b) => b.savedAt - a.savedAt)[0];
}

/** Replace a saved copy with the server's current one, keeping its place in the list. */
export async function refresh(shelf: Shelf, detail: PromptDetail, savedAt: number): Promise<void> {
  await done((await store(shelf, "readwrite")).put({ ...record(detail), savedAt }));
}
