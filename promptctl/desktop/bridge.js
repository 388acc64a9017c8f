// Injected by the desktop app (promptctl/desktop/shell.py) into every page of its windows, after
// Qt's qwebchannel.js, before the page's own scripts: window.promptEngineDesktop, the calls the
// console makes on the app (web/src/desktop.ts, DesktopBridge). Each call is a promise: its name
// and JSON arguments go to the app's "shell" object, its answer comes back by id. Injected by the
// embedder, this runs whatever the page's Content-Security-Policy says (it evaluates no strings).
(() => {
  "use strict";
  if (window.promptEngineDesktop || typeof QWebChannel === "undefined") return;
  const waiting = new Map();
  let next = 1;
  const shell = new Promise((resolve) => {
    const connect = () =>
      new QWebChannel(qt.webChannelTransport, (channel) => {
        const object = channel.objects.shell;
        object.answered.connect((id, json) => {
          const call = waiting.get(id);
          if (!call) return;
          waiting.delete(id);
          const answer = JSON.parse(json);
          if (answer.ok) call.resolve(answer.value);
          else call.reject(new Error(answer.error));
        });
        object.stateChanged.connect((json) => {
          window.dispatchEvent(new CustomEvent("prompt-engine:state", { detail: JSON.parse(json) }));
        });
        resolve(object);
      });
    if (typeof qt !== "undefined" && qt.webChannelTransport) connect();
    else document.addEventListener("DOMContentLoaded", connect, { once: true });
  });
  const call = (name, args) =>
    shell.then(
      (object) =>
        new Promise((resolve, reject) => {
          const id = next++;
          waiting.set(id, { resolve, reject });
          object.call(name, JSON.stringify(args), id);
        }),
    );
  const names = ["state", "save_key", "forget_key", "copy_text", "insert_text", "hide_palette",
                 "open_link", "connect"];
  const bridge = {};
  for (const name of names) bridge[name] = (...args) => call(name, args);
  Object.defineProperty(window, "promptEngineDesktop", { value: Object.freeze(bridge) });
})();
