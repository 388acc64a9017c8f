// The typed client of /api/v1, over the types generated from docs/openapi.json (schema.d.ts,
// `npm run api`): a server change that breaks the console fails the type check. Every call goes
// through one place that adds the key and the client type, retries what the server says to
// retry, and turns failures into ApiError or OfflineError.
import createClient, { type Middleware } from "openapi-fetch";
import { platform } from "../platform";
import type { components, paths } from "./schema";

type Schemas = components["schemas"];
export type PromptSummary = Schemas["PromptListItem"]; // the summary fields of a list item
export type PromptDetail = Schemas["PromptDetail"];
export type SearchHit = Schemas["SearchHit"];
export type VersionItem = Schemas["VersionItem"];
export type RenderResponse = Schemas["RenderResponse"];
export type UsageSummary = Schemas["UsageSummary"];
export type Count = Schemas["Count"];
export type Message = Schemas["Message"];
export type Me = Schemas["Me"];

/** An answer of the API other than 2xx: its status and the error body's code and fields. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The server did not answer at all. */
export class OfflineError extends Error {
  constructor() {
    super("the server cannot be reached; check that it is running and your network");
    this.name = "OfflineError";
  }
}

type Listener = (online: boolean) => void;
const listeners = new Set<Listener>();
let online = true;

type RefusedListener = (message: string) => void;
const refusedListeners = new Set<RefusedListener>();

/** Be told when the server refuses the key (401), with its explanation. */
export function onRefused(listener: RefusedListener): () => void {
  refusedListeners.add(listener);
  return () => refusedListeners.delete(listener);
}

/** Be told when the server stops or starts answering. */
export function onConnectivity(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function setOnline(value: boolean): void {
  if (value === online) return;
  online = value;
  for (const listener of listeners) listener(value);
}

export function isOnline(): boolean {
  return online;
}

const MAX_RETRIES = 2;
const MAX_WAIT_MS = 3000;

function sleep(ms: number, signal?: AbortSignal | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

/** fetch, retried on 429 and 503 as long as Retry-After asks for a short wait. */
export async function fetchWithRetry(request: Request): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(request.clone());
    } catch (error) {
      if (request.signal.aborted) throw error;
      setOnline(false);
      throw new OfflineError();
    }
    setOnline(true);
    if (response.status === 401) {
      const body = (await response.clone().json().catch(() => ({}))) as { error?: { message?: string } };
      const message = body.error?.message ?? "the server wants an API key";
      for (const listener of refusedListeners) listener(message);
    }
    const wait = Number(response.headers.get("Retry-After") ?? "NaN") * 1000;
    const retry = (response.status === 429 || response.status === 503) && attempt < MAX_RETRIES;
    if (!retry || !(wait >= 0) || wait > MAX_WAIT_MS) return response;
    await sleep(Math.max(wait, 100), request.signal);
  }
}

const auth: Middleware = {
  onRequest({ request }) {
    const stored = platform.loadKey();
    if (stored) request.headers.set("Authorization", `Bearer ${stored.key}`);
    request.headers.set("X-Client-Type", platform.clientType);
    return request;
  },
};

const origin = typeof location === "undefined" ? "http://localhost" : location.origin;
const client = createClient<paths>({
  baseUrl: origin,
  fetch: fetchWithRetry,
  // Ids contain "/": kept as they are, so the server's logs read /api/v1/prompts/a/b.
  pathSerializer: (path, params) =>
    path.replace(/\{(\w+)\}/g, (_m, name: string) =>
      String(params[name] ?? "").split("/").map(encodeURIComponent).join("/"),
    ),
});
client.use(auth);

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a 2xx answer, or the ApiError the body describes. */
function unwrap<T>({ data, error, response }: Answer<T>): T {
  if (response.ok && data !== undefined) return data;
  const body = (error ?? {}) as { error?: { code?: string; message?: string; fields?: Record<string, string> | null } };
  const detail = body.error ?? {};
  throw new ApiError(
    response.status,
    detail.code ?? "http_" + response.status,
    detail.message ?? `the server answered ${response.status} ${response.statusText}`,
    detail.fields ?? {},
  );
}

export interface Filters {
  tag?: string | undefined;
  collection?: string | undefined;
  owner?: string | undefined;
  status?: string | undefined;
  channel?: string | undefined;
}

function filterQuery(filters: Filters): Filters {
  const query: Filters = {};
  for (const [name, value] of Object.entries(filters) as [keyof Filters, string | undefined][]) {
    if (value) query[name] = value;
  }
  return query;
}

export const api = {
  async search(q: string, filters: Filters, signal?: AbortSignal): Promise<SearchHit[]> {
    const { tag, ...rest } = filterQuery(filters);
    const answer = await client.GET("/api/v1/search", {
      params: { query: { q, limit: 20, ...rest, ...(tag ? { tag: [tag] } : {}) } },
      signal,
    });
    return unwrap(answer).hits;
  },
  async list(filters: Filters, signal?: AbortSignal, limit = 50): Promise<PromptSummary[]> {
    const { tag, ...rest } = filterQuery(filters);
    const answer = await client.GET("/api/v1/prompts", {
      params: { query: { limit, ...rest, ...(tag ? { tag: [tag] } : {}) } },
      signal,
    });
    return unwrap(answer).items;
  },
  async prompt(id: string, version?: string | null): Promise<PromptDetail> {
    const answer = await client.GET("/api/v1/prompts/{prompt_id}", {
      params: { path: { prompt_id: id }, query: version ? { version } : {} },
    });
    return unwrap(answer);
  },
  async versions(id: string): Promise<VersionItem[]> {
    const answer = await client.GET("/api/v1/prompts/{prompt_id}:versions", {
      params: { path: { prompt_id: id } },
    });
    return unwrap(answer).versions;
  },
  async render(id: string, inputs: Record<string, unknown>, version?: string): Promise<RenderResponse> {
    const answer = await client.POST("/api/v1/prompts/{prompt_id}:render", {
      params: { path: { prompt_id: id } },
      body: { inputs, ...(version ? { version } : {}) },
    });
    return unwrap(answer);
  },
  async reportUse(id: string, version: string): Promise<boolean> {
    const answer = await client.POST("/api/v1/usage", {
      body: { prompt: id, version, client_type: platform.clientType },
    });
    return unwrap(answer).accepted;
  },
  async tags(): Promise<Count[]> {
    return unwrap(await client.GET("/api/v1/tags")).tags;
  },
  /** The caller: its key's name, role and team (anonymous on a loopback server without keys). */
  async me(): Promise<Me> {
    return unwrap(await client.GET("/api/v1/me"));
  },
  async collections(): Promise<Count[]> {
    return unwrap(await client.GET("/api/v1/collections")).collections;
  },
  async usageSummary(since: number | null, limit = 10): Promise<UsageSummary> {
    const answer = await client.GET("/api/v1/usage/summary", {
      params: { query: { limit, ...(since === null ? {} : { since: String(since) }) } },
    });
    return unwrap(answer);
  },
  /** Whether the server answers at all (no key needed). */
  async alive(): Promise<boolean> {
    try {
      const answer = await client.GET("/healthz");
      return answer.response.ok;
    } catch {
      return false;
    }
  },
};

export type Api = typeof api;
