// Who is using the console: the role of the key (or of anonymous access), as /api/v1/me says.
import { createContext, useContext } from "react";
import type { Api } from "./api/client";

export type Role = "consumer" | "contributor" | "admin";

export interface Session {
  role: Role;
  /** A key is stored (else the server lets anonymous consumers in, on loopback). */
  withKey: boolean;
}

const ROLES: readonly string[] = ["consumer", "contributor", "admin"];

export async function detectSession(api: Api, withKey: boolean): Promise<Session> {
  const me = await api.me(); // 401 (a key is needed or refused) and offline surface here
  const role = (ROLES.includes(me.role) ? me.role : "consumer") as Role;
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
