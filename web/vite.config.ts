// Vite build of the dashboard page. Fixed file names (no content hashes): the Rust crate
// `crates/api` embeds exactly `dist/index.html`, `dist/assets/app.js`, `dist/assets/app.css`
// and `dist/favicon.svg`.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: false,
    rollupOptions: {
      output: {
        entryFileNames: "assets/app.js",
        chunkFileNames: "assets/app-[name].js",
        assetFileNames: (info) =>
          info.names.some((name) => name.endsWith(".css")) ? "assets/app.css" : "assets/[name][extname]",
        inlineDynamicImports: true,
      },
    },
  },
  server: {
    // `npm run dev` against a running `auction-trader serve` on port 8080.
    proxy: { "/api": "http://127.0.0.1:8080" },
  },
});
