// The console: a header with the main places, an offline banner, the page of the current URL,
// and the Ctrl/Cmd-K search palette.
import { useCallback, useEffect, useRef, useState } from "react";
import { api as defaultApi, ApiError, OfflineError, onConnectivity, onRefused, type Api } from "./api/client";
import { BrowsePage } from "./components/BrowsePage";
import { describe } from "./components/ErrorNotice";
import { FavoritesPage } from "./components/FavoritesPage";
import { NotFound } from "./components/NotFound";
import { PromptPage } from "./components/PromptPage";
import { SearchPage } from "./components/SearchPage";
import { SearchPalette } from "./components/SearchPalette";
import { SignInPage } from "./components/SignInPage";
import { UsagePage } from "./components/UsagePage";
import { VersionDiff } from "./components/VersionDiff";
import { platform } from "./platform";
import { Link, navigate, parsePromptPath, usePath } from "./router";
import { ApiContext, SessionContext, detectSession, type Session } from "./session";

const TITLES: Record<string, string> = {
  "/": "Search",
  "/browse": "Browse",
  "/favorites": "Favorites",
  "/usage": "Usage",
  "/signin": "Sign in",
};

export function App({ api = defaultApi }: { api?: Api }) {
  const path = usePath();
  const [session, setSession] = useState<Session>({ role: "consumer", withKey: platform.loadKey() !== null });
  const [refused, setRefused] = useState<string | null>(null);
  const [online, setOnline] = useState(true);
  const [palette, setPalette] = useState(false);
  // Each ask to open the palette, counted: asked while our state still says open (its close
  // event not in yet), it opens it again all the same.
  const [paletteAsked, setPaletteAsked] = useState(0);
  const openPalette = () => {
    setPalette(true);
    setPaletteAsked((asked) => asked + 1);
  };
  const main = useRef<HTMLElement>(null);

  const check = useCallback(async (): Promise<string | null> => {
    try {
      setSession(await detectSession(api, platform.loadKey() !== null));
      setRefused(null);
      return null;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setRefused(error.message);
        return error.message;
      }
      return error instanceof OfflineError ? null : describe(error);
    }
  }, [api]);

  useEffect(() => {
    void check();
  }, [check]);
  useEffect(() => onRefused(setRefused), []);
  useEffect(
    () =>
      onConnectivity((now) => {
        setOnline(now);
        if (now) void check(); // back: the key's role may have changed meanwhile
      }),
    [check],
  );
  useEffect(() => {
    if (online) return;
    const timer = setInterval(() => void api.alive(), 3000);
    return () => clearInterval(timer);
  }, [api, online]);

  useEffect(() => {
    const keyDown = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "k") {
        event.preventDefault();
        openPalette();
      }
    };
    window.addEventListener("keydown", keyDown);
    return () => window.removeEventListener("keydown", keyDown);
  }, []);

  useEffect(() => {
    const title = TITLES[path];
    if (title) document.title = `${title} · Prompt Engine`;
    // A new page: keyboard and screen reader users start at its content (search focuses its box).
    if (path !== "/") main.current?.focus({ preventScroll: true });
  }, [path]);

  const signOut = () => {
    platform.forgetKey();
    setSession({ role: "consumer", withKey: false });
    void check();
  };

  let page;
  if (refused !== null || path === "/signin") {
    page = (
      <SignInPage
        reason={refused}
        onSignedIn={async () => {
          const problem = await check();
          if (!problem && path === "/signin") navigate("/");
          return problem;
        }}
      />
    );
  } else if (path === "/") page = <SearchPage />;
  else if (path === "/browse") page = <BrowsePage />;
  else if (path === "/favorites") page = <FavoritesPage />;
  else if (path === "/usage") page = <UsagePage />;
  else if (path.startsWith("/p/")) {
    const { id, version } = parsePromptPath(path.slice(3));
    page = <PromptPage id={id} version={version} />;
  } else if (path.startsWith("/diff/")) page = <VersionDiff id={path.slice(6)} />;
  else page = <NotFound />;

  return (
    <ApiContext.Provider value={api}>
      <SessionContext.Provider value={session}>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="top">
          <Link to="/" className="brand">
            Prompt Engine
          </Link>
          <nav aria-label="Main">
            <ul>
              <li>
                <Link to="/" aria-current={path === "/" ? "page" : undefined}>
                  Search
                </Link>
              </li>
              <li>
                <Link to="/browse" aria-current={path === "/browse" ? "page" : undefined}>
                  Browse
                </Link>
              </li>
              <li>
                <Link to="/favorites" aria-current={path === "/favorites" ? "page" : undefined}>
                  Favorites
                </Link>
              </li>
              {session.role === "admin" && (
                <li>
                  <Link to="/usage" aria-current={path === "/usage" ? "page" : undefined}>
                    Usage
                  </Link>
                </li>
              )}
            </ul>
          </nav>
          <button type="button" className="palette-button" onClick={openPalette} aria-keyshortcuts="Control+K Meta+K">
            Find <kbd>Ctrl K</kbd>
          </button>
          <span className="who">
            {session.withKey ? (
              <>
                <span>Signed in ({session.role})</span>{" "}
                <button type="button" className="small" onClick={signOut}>
                  Sign out
                </button>
              </>
            ) : refused === null ? (
              <>
                <span>Anonymous</span> <Link to="/signin">Sign in</Link>
              </>
            ) : null}
          </span>
        </header>
        {!online && (
          <div className="banner offline" role="status">
            The server cannot be reached. Favorites and recent prompts open from this browser's saved copies; the version shown is the one saved.
          </div>
        )}
        <main id="main" ref={main} tabIndex={-1}>
          {page}
        </main>
        <SearchPalette open={palette} asked={paletteAsked} onClose={() => setPalette(false)} />
      </SessionContext.Provider>
    </ApiContext.Provider>
  );
}
