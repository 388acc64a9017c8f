import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { api } from "./api/client";
import { DesktopPalette } from "./components/DesktopPalette";
import { desktopPlatform, desktopView, findBridge, inDesktop } from "./desktop";
import { platform, setPlatform } from "./platform";
import { ApiContext } from "./session";
import "./styles.css";

function sessionStore(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

async function start(): Promise<void> {
  const root = createRoot(document.getElementById("root")!);
  if (inDesktop(location.search, sessionStore())) {
    // In the desktop app: its bridge holds the key and the clipboard; wait for it first.
    const bridge = await findBridge(window);
    const desktop = desktopPlatform(bridge, await bridge.state());
    setPlatform(desktop);
    document.documentElement.dataset.shell = "desktop";
    if (desktopView(location.search) === "palette") {
      document.title = "Find a prompt · Prompt Engine";
      root.render(
        <StrictMode>
          <ApiContext.Provider value={api}>
            <DesktopPalette bridge={bridge} pasteProblem={desktop.state().pasteProblem} />
          </ApiContext.Provider>
        </StrictMode>,
      );
      return;
    }
  }
  root.render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
  platform.keepForOffline();
}

void start();
