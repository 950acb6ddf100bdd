// Playwright config of the screenshot script (not part of `npm test`): the app's dev server, as for the e2e tests.
import { defineConfig } from '@playwright/test';
import base from '../playwright.config.ts';

export default defineConfig({
  ...base,
  testDir: '.',
  testMatch: 'screenshots.spec.ts',
  reporter: 'list',
  timeout: 600_000,
});
