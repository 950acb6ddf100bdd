/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { serveMnist } from './scripts/vite-mnist-plugin.ts';

export default defineConfig({
  plugins: [react(), serveMnist()],
  worker: { format: 'es' },
  server: { port: 5173 },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
