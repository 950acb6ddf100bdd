/// <reference types="vitest/config" />
import { randomBytes } from 'node:crypto';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { serveMnist } from './scripts/vite-mnist-plugin.ts';
import { securityHeadersPlugin } from './scripts/security-headers.ts';

export default defineConfig(({ command, isPreview }) => {
  // The dev page's inline preamble and hot <style>s carry this nonce; a build (and its preview) has nothing inline.
  const nonce = command === 'serve' && !isPreview ? randomBytes(16).toString('base64') : undefined;
  return {
    plugins: [securityHeadersPlugin(nonce), react(), serveMnist()],
    html: nonce ? { cspNonce: nonce } : {},
    worker: { format: 'es' },
    server: { port: 5173 },
    // Every page's dependencies (the bench page's peers too) are bundled when the server starts, not discovered on a
    // page's first load (which re-optimises them and fails the imports of a page already loading them).
    optimizeDeps: { entries: ['index.html', 'bench/index.html', 'bench/peers/*.ts', 'src/engine/worker.ts'] },
    test: {
      include: ['test/**/*.test.ts'],
      environment: 'node',
      pool: 'forks',
      testTimeout: 120_000,
      hookTimeout: 120_000,
    },
  };
});
