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
    // `npm run dev` proxies the APIs to a running `projectconnect dev` (port 8000 by default).
    proxy: {
      "/auth": process.env.PC_API_ORIGIN ?? "http://127.0.0.1:8000",
      "/projects": process.env.PC_API_ORIGIN ?? "http://127.0.0.1:8000",
      // Not /invite/...: that is the app's invitation page.
      "/workspaces": process.env.PC_API_ORIGIN ?? "http://127.0.0.1:8000",
      "/invitations": process.env.PC_API_ORIGIN ?? "http://127.0.0.1:8000",
      // Exactly these, or with a slash or a query after: /me-anything is the app's.
      "^/(search|me|events|notifications)(/|\\?|$)": process.env.PC_API_ORIGIN ?? "http://127.0.0.1:8000",
    },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
  },
});
