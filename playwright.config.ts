// Playwright: Debian's Chromium against the real server (real engine, real kernel; run as root).
// The web server is one process: `next build`, then the shell execs node, so the runner's kill reaches it.
// E2E_DEV=1 skips the build and runs Next in dev mode (quick local iteration).
import { defineConfig } from '@playwright/test';

const PORT = 3123;
const serve = `node --import tsx server/index.ts --port ${PORT}`;
// NSPLAY_BUILT=1 (set by scripts/test.sh after scripts/setup.sh built what was stale) skips a second build.
const command = process.env.E2E_DEV === '1'
  ? `NSPLAY_DEV=1 exec ${serve}`
  : process.env.NSPLAY_BUILT === '1'
    ? `exec ${serve}`
    : `NEXT_TELEMETRY_DISABLED=1 node node_modules/next/dist/bin/next build && exec ${serve}`;

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  timeout: 240_000,
  expect: { timeout: 20_000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  outputDir: 'test-results',
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    browserName: 'chromium',
    viewport: { width: 1440, height: 900 },
    acceptDownloads: true,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
      ],
    },
  },
  webServer: {
    command,
    url: `http://127.0.0.1:${PORT}/`,
    timeout: 300_000,
    reuseExistingServer: !process.env.CI,
    stdout: 'pipe',
    stderr: 'pipe',
    // SIGTERM, not the default SIGKILL: the server destroys its sessions on the way out (sessions of a
    // closed page live NSPLAY_IDLE_MINUTES, so a killed server would leave them to the next reclaim).
    gracefulShutdown: { signal: 'SIGTERM', timeout: 30_000 },
    env: { NEXT_TELEMETRY_DISABLED: '1' },
  },
});
