// Everything the console asks of the platform it runs on: the clipboard, where the API key is
// kept, opening links, and the client type its requests name. The browser's versions are here;
// the desktop app installs its own at start (desktop.ts: key in the OS keychain, paste into the
// window that was in front).

const KEY_NAME = "prompt-engine.api-key";

export interface Platform {
  /** The client type usage events are counted under (X-Client-Type). */
  clientType: "web" | "desktop";
  /** Where a remembered key is kept, for the sign-in page's check box. */
  rememberLabel: string;
  /** Put ``text`` on the clipboard; rejects when the platform refuses. */
  copyText(text: string): Promise<void>;
  /** The stored API key and whether it is remembered beyond this session. */
  loadKey(): { key: string; remember: boolean } | null;
  /** Keep ``key`` for this session only, or remembered on this computer. */
  saveKey(key: string, remember: boolean): void;
  forgetKey(): void;
  /** Open an external link outside the console. */
  openLink(url: string): void;
  /** Keep the console itself at hand for when the server is unreachable. */
  keepForOffline(): void;
}

function storage(kind: "local" | "session"): Storage | null {
  try {
    return kind === "local" ? window.localStorage : window.sessionStorage;
  } catch {
    return null; // storage disabled by the browser's settings
  }
}

export const browserPlatform: Platform = {
  clientType: "web",
  rememberLabel: "Remember on this computer (otherwise until the browser closes)",
  async copyText(text) {
    await navigator.clipboard.writeText(text);
  },
  loadKey() {
    const session = storage("session")?.getItem(KEY_NAME);
    if (session) return { key: session, remember: false };
    const local = storage("local")?.getItem(KEY_NAME);
    return local ? { key: local, remember: true } : null;
  },
  saveKey(key, remember) {
    this.forgetKey();
    storage(remember ? "local" : "session")?.setItem(KEY_NAME, key);
  },
  forgetKey() {
    storage("local")?.removeItem(KEY_NAME);
    storage("session")?.removeItem(KEY_NAME);
  },
  openLink(url) {
    window.open(url, "_blank", "noopener,noreferrer");
  },
  keepForOffline() {
    // A service worker (public/sw.js) keeps the page and its assets. Browsers allow one on
    // https and on localhost only; elsewhere the console simply needs the server to open.
    if ("serviceWorker" in navigator && window.isSecureContext) {
      navigator.serviceWorker.register("/sw.js").catch(() => undefined);
    }
  },
};

export let platform: Platform = browserPlatform;

/** The desktop shell (or a test) installs its own platform before the app starts. */
export function setPlatform(replacement: Platform): void {
  platform = replacement;
}
