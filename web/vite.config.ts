/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";

/** The API the dev server forwards to; the built app is served by the API itself (same origin). */
const API = process.env.PATHWISE_API ?? "http://127.0.0.1:8000";
const apiPaths = ["/v1", "/xAPI", "/graphql", "/healthz", "/openapi.json"];

export default defineConfig({
  resolve: { alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) } },
  plugins: [
    react(),
    VitePWA({
      registerType: "autoUpdate",
      injectRegister: false,
      strategies: "injectManifest",
      srcDir: "src/offline",
      filename: "sw.ts",
      manifest: {
        name: "Pathwise",
        short_name: "Pathwise",
        description: "Your next step in learning, chosen with you.",
        start_url: "/",
        scope: "/",
        display: "standalone",
        background_color: "#ffffff",
        theme_color: "#1d4ed8",
        icons: [
          { src: "/icon-192.png", sizes: "192x192", type: "image/png" },
          { src: "/icon-512.png", sizes: "512x512", type: "image/png" },
          { src: "/icon-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
          { src: "/icon.svg", sizes: "any", type: "image/svg+xml" },
        ],
      },
      injectManifest: { globPatterns: ["**/*.{js,css,html,svg,png,json}"] },
    }),
  ],
  build: { target: "es2022", sourcemap: false, chunkSizeWarningLimit: 400 },
  server: { proxy: Object.fromEntries(apiPaths.map((p) => [p, API])) },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    // the machine may be busy with the rest of `make test`: a slow render is not a failure
    testTimeout: 20_000,
  },
});
