// End-to-end tests. `chromium`: the built renderer in Debian's Chromium, with the preload API
// bridged over HTTP to the real handlers and engine (e2e/fixtures.ts, e2e/bridge/). `electron`:
// Playwright's _electron specs (e2e/electron/), which skip with a reason where no Electron
// binary is installed. Screenshots of each main screen land in test-results/screens/.
import { defineConfig } from '@playwright/test'

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results/output',
  globalSetup: './e2e/bridge/globalSetup.ts',
  // two cores, one engine process per worker: run the specs one after another
  workers: 1,
  fullyParallel: false,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  forbidOnly: Boolean(process.env.CI),
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'test-results/report' }]],
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      testMatch: /(bridge|editor)\/.*\.spec\.ts$/,
      use: {
        browserName: 'chromium',
        viewport: { width: 1440, height: 900 },
        launchOptions: {
          executablePath: process.env.STYLEMAP_CHROMIUM ?? '/usr/bin/chromium',
          args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
        },
      },
    },
    {
      name: 'electron',
      testMatch: /electron\/.*\.spec\.ts$/,
    },
  ],
})
