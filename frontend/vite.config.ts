/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Assets may be served from a CDN: VITE_CDN_BASE_URL=https://cdn.example.com/pc/ npm run build
// makes every asset URL in index.html absolute under that base. The API stays same-origin.
function baseFromEnv(): string {
  const cdn = process.env.VITE_CDN_BASE_URL?.trim();
  if (!cdn) return "/";
  return cdn.endsWith("/") ? cdn : `${cdn}/`;
}

/** Where `npm run dev` sends API requests: a running `projectconnect dev` (port 8000 by default). */
const API_ORIGIN = process.env.PC_API_ORIGIN ?? "http://127.0.0.1:8000";

export default defineConfig({
  base: baseFromEnv(),
  plugins: [react()],
  build: {
    outDir: "dist",
    assetsDir: "assets",
    // Content-hashed names so the gateway can cache /assets/* for a year.
    rollupOptions: {
      output: {
        entryFileNames: "assets/[name]-[hash].js",
        chunkFileNames: "assets/[name]-[hash].js",
        assetFileNames: "assets/[name]-[hash][extname]",
      },
    },
  },
  server: {
    proxy: {
      "/auth": API_ORIGIN,
      "/projects": API_ORIGIN,
      // Not /invite/...: that is the app's invitation page.
      "/workspaces": API_ORIGIN,
      "/invitations": API_ORIGIN,
      // Exactly these, or with a slash or a query after: /me-anything is the app's.
      "^/(search|me|events|notifications)(/|\\?|$)": API_ORIGIN,
    },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
    // Room for a few waits at the deadline above (src/test/setup.ts).
    testTimeout: 20000,
  },
});
