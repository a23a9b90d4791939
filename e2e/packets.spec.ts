// Packets in the browser against the real server and kernel: lab 3's end state is applied, a capture
// runs on netns1's veth, a probe to netns2 rides the cables hop by hop and turns them green, a probe
// to the external host stops red at the hop where the reply could not come back (with the reason), a
// ping typed in a terminal flies along the cable too, the capture lists the echo request and reply,
// and its pcap downloads and reads back with tshark; the matrix shows every pair, and a red cell probes.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { expect, test, type Page, type TestInfo } from '@playwright/test';

async function shot(page: Page, info: TestInfo, name: string) {
  await page.screenshot({ path: info.outputPath(`${name}.png`) });
}

const anim = (page: Page) => page.getByTestId('probe-anim');

/** Runs a probe from the panel and waits until its ride on the canvas has finished. */
async function probe(page: Page, from: string, to: string, end: 'ok' | 'fail') {
  const before = Number((await anim(page).getAttribute('data-probe')) || 0);
  await page.getByTestId('probe-from').selectOption(from);
  await page.getByTestId('probe-to').fill(to);
  await page.getByTestId('probe-run').click();
  await expect.poll(async () => Number((await anim(page).getAttribute('data-probe')) || 0), { timeout: 90_000 }).toBeGreaterThan(before);
  // While it rides, the state is running; then the end state.
  await expect(anim(page)).toHaveAttribute('data-state', end, { timeout: 30_000 });
}

test('probes animate hop by hop, a failure stops red with its reason, a capture streams and downloads', async ({ page }, info) => {
  test.setTimeout(600_000);
  page.on('console', (m) => { if (m.type() === 'error') console.log(`[page] ${m.text()}`); });
  await page.goto('/?file=labs/03-bridge/final.yaml');
  await expect(page.getByTestId('playground')).toBeVisible({ timeout: 180_000 });
  await page.getByTestId('apply-button').click();
  await page.getByTestId('apply-confirm').click();
  await expect(page.getByTestId('apply-panel')).toHaveAttribute('data-phase', 'done', { timeout: 120_000 });
  await page.getByTestId('apply-close').click();

  await page.getByTestId('packets-button').click();
  await expect(page.getByTestId('packets-panel')).toBeVisible();

  // A capture on netns1's end of its cable.
  await page.getByTestId('capture-node').selectOption('netns1');
  await page.getByTestId('capture-iface').selectOption('veth1');
  await page.getByTestId('capture-filter').fill('icmp');
  await page.getByTestId('capture-start').click();
  await expect(page.locator('[data-testid="capture"][data-running="true"]')).toHaveCount(1, { timeout: 30_000 });

  // netns1 → netns2: across the bridge and back; both cables turn green, every hop is marked.
  await probe(page, 'netns1', 'netns2', 'ok');
  await expect(page.getByTestId('probe-ok')).toBeVisible();
  await expect(page.getByTestId('probe-trail').first()).toBeVisible();
  expect(await page.getByTestId('probe-trail').count()).toBeGreaterThanOrEqual(2);
  await expect(page.locator('[data-testid="probe-hop"][data-node="netns2"]').first()).toBeAttached();
  await expect(page.locator('[data-testid="probe-result"]').first()).toHaveAttribute('data-state', 'ok');
  await shot(page, info, 'packets-01-probe-ok');

  // The capture saw that ping: the echo request and the reply, as tcpdump -nn lines.
  const lines = page.getByTestId('capture-lines');
  await expect(lines).toContainText(/ICMP 10\.0\.0\.101 > 10\.0\.0\.102: echo request/, { timeout: 30_000 });
  await expect(lines).toContainText(/ICMP 10\.0\.0\.102 > 10\.0\.0\.101: echo reply/, { timeout: 30_000 });
  // …and its packets flew along the cable as dots.
  await expect.poll(async () => Number((await anim(page).getAttribute('data-flown')) || 0), { timeout: 10_000 }).toBeGreaterThan(0);

  // netns1 → external: the request gets there, the reply cannot come back (no MASQUERADE on enp0s8).
  await probe(page, 'netns1', '192.168.56.1', 'fail');
  const fail = page.getByTestId('probe-fail');
  await expect(fail).toBeVisible();
  await expect(fail).toHaveAttribute('data-reason', 'no-return-path');
  await expect(fail).toHaveAttribute('data-node', 'external');
  await expect(fail).toContainText('no-return-path');
  await expect(page.locator('[data-testid="probe-result"]').first()).toHaveAttribute('data-reason', 'no-return-path');
  await shot(page, info, 'packets-02-probe-fail');

  // A ping typed in a terminal animates too: its packets are captured and fly along the cable.
  const lastDot = Number((await anim(page).getAttribute('data-flown')) || 0);
  await page.locator('.react-flow__node[data-id="netns1"]').dblclick();
  await expect(page.getByTestId('terminal-netns1')).toBeVisible();
  await page.getByTestId('terminal-netns1').click();
  await page.keyboard.type('ping -c2 -i0.3 10.0.0.102');
  await page.keyboard.press('Enter');
  await expect.poll(async () => Number((await anim(page).getAttribute('data-flown')) || 0), { timeout: 20_000 }).toBeGreaterThan(lastDot);
  await shot(page, info, 'packets-03-terminal-ping');

  // The pcap downloads and tshark reads the packets back.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('capture-download').click()]);
  expect(download.suggestedFilename()).toMatch(/^nsplay-netns1-veth1-[0-9a-f]{8}\.pcap$/);
  const file = info.outputPath('capture.pcap');
  await download.saveAs(file);
  expect(fs.readFileSync(file).readUInt32LE(0)).toBe(0xa1b2c3d4);
  const read = execFileSync('tshark', ['-r', file, '-n', '-Y', 'icmp'], { encoding: 'utf8', timeout: 60_000 });
  expect(read).toMatch(/10\.0\.0\.101 → 10\.0\.0\.102\s+ICMP .*Echo \(ping\) request/);
  expect(read).toMatch(/10\.0\.0\.102 → 10\.0\.0\.101\s+ICMP .*Echo \(ping\) reply/);

  // Stopping the capture ends its tcpdump; the panel says so and the pcap stays downloadable.
  await page.getByTestId('capture-stop').click();
  await expect(page.locator('[data-testid="capture"][data-running="false"]')).toHaveCount(1, { timeout: 30_000 });
  await shot(page, info, 'packets-04-stopped');

  // The matrix: every pair at once, green and red cells; a click on a red cell probes that pair for real.
  await page.getByTestId('matrix-run').click();
  await expect(page.getByTestId('matrix-table')).toBeVisible({ timeout: 90_000 });
  await expect(page.locator('[data-testid="matrix-cell"][data-ok="true"]').first()).toBeVisible();
  const red = page.locator('[data-testid="matrix-cell"][data-ok="false"]');
  expect(await red.count()).toBeGreaterThan(0);
  const before = Number((await anim(page).getAttribute('data-probe')) || 0);
  await red.first().click();
  await expect.poll(async () => Number((await anim(page).getAttribute('data-probe')) || 0), { timeout: 90_000 }).toBeGreaterThan(before);
  await expect(anim(page)).toHaveAttribute('data-state', 'fail', { timeout: 30_000 });
  await shot(page, info, 'packets-05-matrix');
});
