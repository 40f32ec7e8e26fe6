import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// JSX is compiled by esbuild (no React plugin needed); the build keeps every script and style in
// files so the server's CSP can forbid inline code.
export default defineConfig({
  root: fileURLToPath(new URL("./src/client/", import.meta.url)),
  base: "/",
  esbuild: { jsx: "automatic" },
  build: {
    outDir: fileURLToPath(new URL("./dist/client/", import.meta.url)),
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    target: "es2022",
  },
  logLevel: "warn",
});
