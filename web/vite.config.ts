// The web app's build (docs/web-app.md). Root is this folder; `npm start` builds into the stack's .local/<stack>/web
// (scripts/lib/web.mjs passes --outDir) and writes the runtime config.json beside the built files.
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  base: "./", // relative asset URLs: the build can be served from any path of any static host
  build: {
    target: "es2022",
    outDir: "dist",
    emptyOutDir: true,
    // The chart libraries are loaded on demand (src/chart.ts), in a chunk of their own; they are large by nature.
    chunkSizeWarningLimit: 1200,
    reportCompressedSize: true,
  },
  preview: { strictPort: true, host: "127.0.0.1" },
});
