// The console's shell, kept so that it opens while the server is unreachable (favorites and
// recent prompts then come from IndexedDB). Pages are asked of the network first and answered
// from this cache when that fails; the hashed assets, which never change, come from the cache
// first. API answers are never kept here. Registered by web/src/platform.ts.
const CACHE = "prompt-engine-shell-1";
const PAGES = ["/", "/browse", "/favorites", "/usage", "/signin"];
const PAGE_PREFIXES = ["/p/", "/diff/"];

function isPage(path) {
  return PAGES.includes(path) || PAGE_PREFIXES.some((prefix) => path.startsWith(prefix));
}

/** Keep ``response`` (index.html) and the assets it names; drop assets it no longer names. */
async function keepShell(response) {
  const html = await response.clone().text();
  const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  const cache = await caches.open(CACHE);
  await cache.put("/", response);
  const missing = [];
  for (const asset of assets) if (!(await cache.match(asset))) missing.push(asset);
  await cache.addAll(missing);
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname;
    if (path.startsWith("/assets/") && !assets.includes(path)) await cache.delete(request);
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    fetch("/", { cache: "no-store" })
      .then((response) => (response.ok ? keepShell(response) : undefined))
      .catch(() => undefined)
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && isPage(url.pathname)) {
    event.respondWith(
      fetch(request).then(
        (response) => {
          if (response.ok) event.waitUntil(keepShell(response.clone()).catch(() => undefined));
          return response;
        },
        () => caches.match("/").then((kept) => kept ?? Response.error()),
      ),
    );
  } else if (url.pathname.startsWith("/assets/")) {
    event.respondWith(caches.match(request).then((kept) => kept ?? fetch(request)));
  }
});
