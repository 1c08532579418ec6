// Build config for the three runtimes. The folders are not electron-vite's defaults
// (src/main, src/preload, src/renderer), so every entry is named explicitly.
import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'
import type { Plugin } from 'vite'

const here = import.meta.dirname

/** Native packages load `.node`/`.so` files at run time: they must stay in node_modules. */
export const nativeExternals = ['onnxruntime-node', 'sharp']

/**
 * Dev server only: React refresh needs one inline script, which the page's CSP meta tag
 * forbids; allow inline scripts while serving. Builds keep the page's policy untouched.
 */
function allowInlineScriptsWhileServing(): Plugin {
  return {
    name: 'stylemap:dev-csp',
    apply: 'serve',
    transformIndexHtml: (html) =>
      html.replace(/(http-equiv="Content-Security-Policy"\s+content=")([^"]*)"/, (_match, head: string, policy: string) => {
        const relaxed = /script-src /.test(policy)
          ? policy.replace(/script-src ([^;]*)/, "script-src $1 'unsafe-inline'")
          : `${policy}; script-src 'self' 'unsafe-inline'`
        return `${head}${relaxed}"`
      }),
  }
}

export default defineConfig({
  main: {
    build: {
      outDir: resolve(here, 'out/main'),
      rollupOptions: {
        input: {
          // Electron main process (ESM: the package is "type": "module").
          index: resolve(here, 'src-main/index.ts'),
          // The engine's utilityProcess script; main forks out/main/host.js.
          host: resolve(here, 'src-main/engine/host.ts'),
          // The checkpoint importer's check process (out/main/verifyHost.js), also a utilityProcess.
          verifyHost: resolve(here, 'src-main/torch/verifyHost.ts'),
        },
        external: nativeExternals,
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(here, 'out/preload'),
      // A sandboxed preload cannot `require` anything but electron's own modules, so
      // everything it uses (zod, the contract) is bundled into one file.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(here, 'src-preload/index.ts') },
        output: {
          // Sandboxed preloads cannot be ESM; `.cjs` keeps Node from reading it as ESM
          // under "type": "module" should the sandbox ever be turned off.
          format: 'cjs',
          entryFileNames: '[name].cjs',
          inlineDynamicImports: true,
        },
      },
    },
  },
  renderer: {
    root: resolve(here, 'src-renderer'),
    plugins: [react(), allowInlineScriptsWhileServing()],
    build: {
      outDir: resolve(here, 'out/renderer'),
      // electron-vite does not find the page from `root` alone.
      rollupOptions: { input: resolve(here, 'src-renderer/index.html') },
    },
  },
})
