// The console inside the desktop app (`promptctl desktop`): its windows open /?shell=desktop,
// and the app's bridge, window.promptEngineDesktop, replaces the browser's platform. The app
// injects the bridge before the page's scripts run (promptctl/desktop/bridge.js); the console
// only names the calls it needs (DesktopBridge), so another shell (Tauri, say) can offer the same
// ones under the same name.
import type { Platform } from "./platform";

/** What the desktop app says about itself, and the key it holds (from the OS keychain). */
export interface DesktopState {
  server: string | null;
  key: string | null;
  remember: boolean;
  /** Why the keychain cannot keep the key (it is then kept until the app quits). */
  keychain: string | null;
  shortcut: string;
  shortcutProblem: string | null;
  /** Why pasting into other windows cannot work here (the text is then only copied). */
  pasteProblem: string | null;
  platform: string;
}

export interface Inserted {
  pasted: boolean;
  message: string;
}

/** The calls the console makes on the desktop app (promptctl/desktop/shell.py, Bridge). */
export interface DesktopBridge {
  state(): Promise<DesktopState>;
  save_key(key: string, remember: boolean): Promise<{ ok: boolean; message: string }>;
  forget_key(): Promise<{ ok: boolean; message: string }>;
  copy_text(text: string): Promise<void>;
  /** Copy, hide the palette and paste into the window that was in front. */
  insert_text(text: string): Promise<Inserted>;
  hide_palette(): Promise<void>;
  open_link(url: string): Promise<void>;
}

export const STATE_EVENT = "prompt-engine:state";
const SHELL_FLAG = "prompt-engine.shell";

export const READY_EVENT = "prompt-engine:desktop-ready";

interface DesktopWindow {
  promptEngineDesktop?: DesktopBridge;
}

/** Whether this page runs in the desktop app: ?shell=desktop, remembered for this window's
 * session so that a reload of another page keeps it. */
export function inDesktop(search: string, storage: Storage | null): boolean {
  if (new URLSearchParams(search).get("shell") === "desktop") {
    storage?.setItem(SHELL_FLAG, "desktop");
    return true;
  }
  return storage?.getItem(SHELL_FLAG) === "desktop";
}

/** Which view the desktop window shows: the whole console, or the compact palette. */
export function desktopView(search: string): "console" | "palette" {
  return new URLSearchParams(search).get("view") === "palette" ? "palette" : "console";
}

/** The app's bridge: there from the start, or once a shell that adds it later says so with
 * READY_EVENT; rejects after ``timeoutMs``. */
export function findBridge(target: Window, timeoutMs = 10000): Promise<DesktopBridge> {
  const found = () => (target as unknown as DesktopWindow).promptEngineDesktop;
  return new Promise((resolve, reject) => {
    const now = found();
    if (now) return resolve(now);
    const ready = () => {
      const bridge = found();
      if (!bridge) return;
      clearTimeout(timer);
      target.removeEventListener(READY_EVENT, ready);
      resolve(bridge);
    };
    const timer = setTimeout(() => {
      target.removeEventListener(READY_EVENT, ready);
      reject(new Error("the desktop app's bridge is missing; start the console with promptctl desktop"));
    }, timeoutMs);
    target.addEventListener(READY_EVENT, ready);
  });
}

/** The platform of the desktop app: the key as the app holds it (kept in sync when the other
 * window signs in or out), the clipboard and links through the app. */
export function desktopPlatform(bridge: DesktopBridge, first: DesktopState, target: Window = window): Platform & { state(): DesktopState } {
  let state = first;
  target.addEventListener(STATE_EVENT, (event) => {
    state = (event as CustomEvent<DesktopState>).detail;
  });
  return {
    clientType: "desktop",
    rememberLabel: "Remember in the system keychain (otherwise until the app quits)",
    state: () => state,
    async copyText(text) {
      await bridge.copy_text(text);
    },
    loadKey() {
      return state.key ? { key: state.key, remember: state.remember } : null;
    },
    saveKey(key, remember) {
      state = { ...state, key, remember };
      void bridge.save_key(key, remember);
    },
    forgetKey() {
      state = { ...state, key: null, remember: false };
      void bridge.forget_key();
    },
    openLink(url) {
      void bridge.open_link(url);
    },
    keepForOffline() {
      // The same service worker as in a browser: the app's window opens while the server is
      // unreachable (on https and on localhost).
      if ("serviceWorker" in navigator && window.isSecureContext) {
        navigator.serviceWorker.register("/sw.js").catch(() => undefined);
      }
    },
  };
}
