// Stable URLs without a routing library: the path is the state, pushState moves it, and a
// popstate (Back, Forward) is heard by every useLocation.
import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from "react";

const EVENT = "prompt-engine:navigate";

export function navigate(to: string, { replace = false } = {}): void {
  if (to === location.pathname + location.search) return;
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  window.dispatchEvent(new Event(EVENT));
  if (!replace) window.scrollTo(0, 0);
}

export interface Place {
  path: string;
  query: URLSearchParams;
}

function current(): Place {
  return { path: decodeURI(location.pathname), query: new URLSearchParams(location.search) };
}

export function useLocation(): Place {
  const [place, setPlace] = useState(current);
  useEffect(() => {
    const update = () => setPlace(current());
    window.addEventListener("popstate", update);
    window.addEventListener(EVENT, update);
    return () => {
      window.removeEventListener("popstate", update);
      window.removeEventListener(EVENT, update);
    };
  }, []);
  return place;
}

/** Only the path: a component that reads no query is not rendered again when only the query
 * changes (every keystroke in the search box writes it). */
export function usePath(): string {
  const [path, setPath] = useState(() => current().path);
  useEffect(() => {
    const update = () => setPath(current().path); // the same string: React skips the render
    window.addEventListener("popstate", update);
    window.addEventListener(EVENT, update);
    return () => {
      window.removeEventListener("popstate", update);
      window.removeEventListener(EVENT, update);
    };
  }, []);
  return path;
}

/** A prompt's address: /p/engineering/code-review or /p/engineering/code-review@1.2.0. */
export function promptPath(id: string, version?: string | null): string {
  return `/p/${id}${version ? "@" + version : ""}`;
}

/** The id and version of a /p/... path (ids never contain "@"). */
export function parsePromptPath(rest: string): { id: string; version: string | null } {
  const at = rest.lastIndexOf("@");
  return at < 0 ? { id: rest, version: null } : { id: rest.slice(0, at), version: rest.slice(at + 1) };
}

export function withQuery(path: string, values: Record<string, string | undefined | null>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value) query.set(name, value);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string };

/** An ordinary link (open in a new tab works) that moves within the app on a plain click. */
export function Link({ to, onClick, ...rest }: LinkProps) {
  const click = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={click} {...rest} />;
}
