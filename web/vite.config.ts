// The dashboard's build: `npm run build:web` writes web/dist, which the gateway serves at `/`
// (src/server/static.ts); `npm run dev:web` serves it with hot reload and forwards the API to a
// running gateway (APPRENTICE_URL, default http://127.0.0.1:8080).
import { fileURLToPath } from "node:url";
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

const gateway = process.env.APPRENTICE_URL ?? "http://127.0.0.1:8080";
const proxied = ["/v1", "/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"];

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  // Relative asset URLs: the page works wherever the gateway mounts it.
  base: "./",
  plugins: [preact({ prefreshEnabled: true, devToolsEnabled: false })],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // One small app: no need for a separate preload polyfill request.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: Object.fromEntries(proxied.map((path) => [path, { target: gateway, changeOrigin: true }])),
  },
});
