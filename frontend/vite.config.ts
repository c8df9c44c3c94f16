// One bundler for the SPA and its unit tests; the dev server proxies the backend.
import { defineConfig } from "vitest/config";

const backend = process.env.LITMUS_BACKEND ?? "http://127.0.0.1:8000";

export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { outDir: "dist", assetsDir: "assets", target: "es2022" },
  server: {
    proxy: {
      "/api": backend,
      "/ws": { target: backend.replace(/^http/, "ws"), ws: true },
    },
  },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
