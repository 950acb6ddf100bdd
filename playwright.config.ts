import { defineConfig } from '@playwright/test';
import { CHROMIUM_WEBGPU_ARGS, findChromium } from './scripts/chromium.mjs';

// E2E_PORT: a second checkout (a git worktree) can run its e2e tests beside this one.
const PORT = Number(process.env.E2E_PORT ?? 5199);

export default defineConfig({
  testDir: 'e2e',
  timeout: 300_000,
  expect: { timeout: 60_000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [['list'], ['json', { outputFile: '.test-out/playwright.json' }]],
  use: {
    baseURL: `http://localhost:${PORT}`,
    browserName: 'chromium',
    launchOptions: {
      executablePath: findChromium() ?? undefined,
      args: CHROMIUM_WEBGPU_ARGS,
    },
    trace: 'off',
    screenshot: 'only-on-failure',
  },
  webServer: {
    command: `npx vite --port ${PORT} --strictPort`,
    url: `http://localhost:${PORT}`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
  },
});
