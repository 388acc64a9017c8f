/// <reference types="vitest/config" />
// The console is built into server/webapp/, which the server serves at / and which the wheel
// carries (pyproject.toml lists it as a build artifact). Swagger UI's files are copied beside it,
// under docs/, so /docs works offline; scripts and styles are also written gzipped.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(here, "../server/webapp");
const SWAGGER_FILES = ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"];

function swaggerUi(): Plugin {
  return {
    name: "swagger-ui-assets",
    apply: "build",
    closeBundle() {
      const source = resolve(here, "node_modules/swagger-ui-dist");
      mkdirSync(resolve(outDir, "docs"), { recursive: true });
      for (const file of SWAGGER_FILES) {
        copyFileSync(resolve(source, file), resolve(outDir, "docs", file));
      }
      // Compressed once here, so the server sends .gz files as they are (no work per request).
      for (const folder of ["assets", "docs"]) {
        for (const file of readdirSync(resolve(outDir, folder))) {
          if (!/\.(js|css)$/.test(file)) continue;
          const path = resolve(outDir, folder, file);
          writeFileSync(path + ".gz", gzipSync(readFileSync(path), { level: 9 }));
        }
      }
      // Built files are never committed: Git ignores the whole folder.
      writeFileSync(resolve(outDir, ".gitignore"), "*\n");
    },
  };
}

export default defineConfig({
  plugins: [react(), swaggerUi()],
  build: {
    outDir,
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
