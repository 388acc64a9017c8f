// Who is using the console: what the key may do, found by asking the API (a key that may read
// usage summaries is an admin's; one that sees drafts or experimental prompts a contributor's).
import { createContext, useContext } from "react";
import { ApiError, type Api } from "./api/client";

export type Role = "consumer" | "contributor" | "admin";

export interface Session {
  role: Role;
  /** A key is stored (else the server lets anonymous consumers in, on loopback). */
  withKey: boolean;
}

export async function detectSession(api: Api, withKey: boolean): Promise<Session> {
  await api.collections(); // 401 (a key is needed or refused) and offline surface here
  const admin = api.usageSummary(null, 1).then(
    () => true,
    (error: unknown) => error instanceof ApiError && error.code === "usage_disabled",
  );
  const contributor = Promise.all([
    api.list({ status: "draft" }, undefined, 1),
    api.list({ channel: "experimental" }, undefined, 1),
  ]).then(
    ([drafts, experiments]) => drafts.length + experiments.length > 0,
    () => false,
  );
  const role: Role = (await admin) ? "admin" : (await contributor) ? "contributor" : "consumer";
  return { role, withKey };
}

export const SessionContext = createContext<Session>({ role: "consumer", withKey: false });

export function useSession(): Session {
  return useContext(SessionContext);
}

export const ApiContext = createContext<Api | null>(null);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (api === null) throw new Error("useApi outside <ApiContext.Provider>");
  return api;
}
