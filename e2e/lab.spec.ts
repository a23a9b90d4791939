// A learner follows lab 3 (the bridge) in the browser against the real server and kernel: opens it,
// clicks Run on every step in order (the commands are typed into the host terminal), sees each step
// turn passed, sees the canvas grow br0, netns1 and netns2 from the observed kernel, sees the ping to
// 1.1.1.1 succeed after MASQUERADE and animate to the internet and back, reloads the page midway
// (progress stays), and resets the lab.
import { expect, test, type Page, type TestInfo } from '@playwright/test';

const node = (page: Page, name: string) => page.locator(`.react-flow__node[data-id="${name}"]`);
const step = (page: Page, n: number) => page.getByTestId(`lab-step-${n}`);

async function shot(page: Page, info: TestInfo, name: string) {
  await page.screenshot({ path: info.outputPath(`${name}.png`) });
}

test('lab 3: Run each step, every step passes, the canvas draws the bridge and the namespaces', async ({ page }, info) => {
  test.setTimeout(1_200_000);
  page.on('console', (m) => { if (m.type() === 'error') console.log(`[page] ${m.text()}`); });
  await page.goto('/?lab=03-bridge');
  await expect(page.getByTestId('playground')).toBeVisible({ timeout: 180_000 });
  await expect(page.getByTestId('lab-panel')).toBeVisible();
  await expect(page.getByTestId('lab-title')).toContainText('bridge');
  const count = await page.locator('[data-testid^="lab-step-"][data-status]').count();
  expect(count).toBe(6);
  for (let n = 1; n <= count; n++) await expect(step(page, n)).toHaveAttribute('data-status', 'pending');

  // Before its commands ran, the first step's checks fail (they judge the kernel, not the clicks).
  await page.getByTestId('lab-check-1').click();
  await expect(step(page, 1)).toHaveAttribute('data-status', 'failed', { timeout: 120_000 });
  await shot(page, info, 'lab3-00-check-before-run');

  for (let n = 1; n <= count; n++) {
    await page.getByTestId(`lab-run-${n}`).click();
    await expect(step(page, n)).toHaveAttribute('data-status', 'passed', { timeout: 300_000 });
    await expect(page.getByTestId(`lab-checks-${n}`).locator('[data-check-ok="false"]')).toHaveCount(0);

    if (n === 1) {
      // The namespaces the commands made appear on the canvas (observed, not drawn).
      await expect(node(page, 'netns1')).toBeVisible({ timeout: 60_000 });
      await expect(node(page, 'netns2')).toBeVisible({ timeout: 60_000 });
    }
    if (n === 2) {
      await expect(node(page, 'br0')).toBeVisible({ timeout: 60_000 });
      // Progress is the server's: a reload shows the same steps passed.
      await page.reload();
      await expect(page.getByTestId('lab-panel')).toBeVisible({ timeout: 120_000 });
      await expect(step(page, 1)).toHaveAttribute('data-status', 'passed', { timeout: 60_000 });
      await expect(step(page, 2)).toHaveAttribute('data-status', 'passed');
      await expect(step(page, 3)).toHaveAttribute('data-status', 'pending');
      await expect(node(page, 'br0')).toBeVisible({ timeout: 60_000 });
    }
    if (n === 3) {
      // Both namespaces are plugged into the bridge: the observed cables are drawn.
      await expect(page.locator('.react-flow__edge[data-id^="ghost-netns1-"]')).toHaveCount(1, { timeout: 60_000 });
      await expect(page.locator('.react-flow__edge[data-id^="ghost-netns2-"]')).toHaveCount(1, { timeout: 60_000 });
    }
    if (n === 5) {
      // After MASQUERADE the ping to the internet gets its reply: the reach checks passed.
      const checks = page.getByTestId('lab-checks-5');
      await expect(checks.locator('li', { hasText: '1.1.1.1' }).first()).toHaveAttribute('data-check-ok', 'true');
      await expect(checks.locator('li[data-check-ok="true"]')).toHaveCount(3);
      await expect(page.getByTestId('terminal-host')).toContainText(/1 packets transmitted,\s+1 received/, { timeout: 30_000 });

      // The final ping, animated: out of netns1 along the cable the commands made, through the bridge
      // and the host's NAT, to the internet and back.
      await page.getByTestId('packets-button').click();
      await page.getByTestId('probe-from').selectOption('netns1');
      await page.getByTestId('probe-to').fill('1.1.1.1');
      await page.getByTestId('probe-run').click();
      await expect(page.getByTestId('probe-anim')).toHaveAttribute('data-state', 'ok', { timeout: 90_000 });
      await expect(page.getByTestId('probe-ok')).toContainText('1.1.1.1 answered');
      await expect(page.locator('[data-testid="probe-trail"][data-cable="ghost-netns1-veth1-br0"]').first()).toBeAttached();
      expect(await page.getByTestId('probe-trail').count()).toBeGreaterThanOrEqual(3);
      await expect(page.locator('[data-testid="probe-hop"][data-node="internet"]').first()).toBeAttached();
      await shot(page, info, 'lab3-final-ping-animated');
      await page.getByTestId('packets-close').click();
    }
    await page.waitForTimeout(1500); // let the canvas catch up with the kernel for the screenshot
    await shot(page, info, `lab3-step-${n}`);
  }
  await expect(page.getByTestId('lab-progress')).toHaveText(`${count}/${count}`);
  // The clean-up step removed what the lab made: the canvas follows the kernel.
  await expect(node(page, 'br0')).toHaveCount(0, { timeout: 60_000 });
  await expect(node(page, 'netns1')).toHaveCount(0, { timeout: 60_000 });

  await page.getByTestId('lab-reset').click();
  await expect(step(page, 1)).toHaveAttribute('data-status', 'pending', { timeout: 180_000 });
  await expect(page.getByTestId('lab-progress')).toHaveText(`0/${count}`);
  await shot(page, info, 'lab3-reset');
});
