// Playwright config of the screenshot script (not part of `npm test`): the app's dev server, as for the e2e tests.
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';
import base from '../playwright.config.ts';

export default defineConfig({
  ...base,
  testDir: '.',
  testMatch: 'screenshots.spec.ts',
  reporter: 'list',
  timeout: 600_000,
  // the dev server runs from the repository (a web server's cwd is the config's folder otherwise)
  webServer: { ...(base.webServer as object), cwd: fileURLToPath(new URL('..', import.meta.url)) } as typeof base.webServer,
});
