// A learner's session, end to end, against the real server and kernel: draw two namespaces and a
// bridge with the mouse, set addresses, apply, ping from netns1's terminal, break the veth from the
// host terminal and see the drift, undo an edit, download the script and run it in a fresh session.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, test, type Page, type TestInfo } from '@playwright/test';

const node = (page: Page, name: string) => page.locator(`.react-flow__node[data-id="${name}"]`);

async function shot(page: Page, info: TestInfo, name: string) {
  await page.screenshot({ path: info.outputPath(`${name}.png`) });
}

/** Drag a palette item onto the canvas at a point relative to the canvas pane. */
async function dropFromPalette(page: Page, kind: string, x: number, y: number) {
  await page.getByTestId(`palette-${kind}`).dragTo(page.locator('.react-flow__pane'), { targetPosition: { x, y } });
}

/** Drag a cable from one node's connect dot onto another node, as a learner does with the mouse. */
async function connect(page: Page, from: string, to: string) {
  await node(page, from).hover();
  const handle = node(page, from).locator('[data-handleid="new-right"]');
  const hb = (await handle.boundingBox())!;
  const tb = (await node(page, to).boundingBox())!;
  await page.mouse.move(hb.x + hb.width / 2, hb.y + hb.height / 2);
  await page.mouse.down();
  await page.mouse.move(tb.x + tb.width / 2, tb.y + tb.height / 2, { steps: 20 });
  await page.mouse.up();
}

/** Type a command line into a terminal; returns when Enter was pressed. */
async function typeIn(page: Page, terminal: string, line: string): Promise<number> {
  await page.getByTestId(`terminal-${terminal}`).click();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
  return Date.now();
}

function terminalRow(page: Page, terminal: string, text: RegExp) {
  return page.getByTestId(`terminal-${terminal}`).locator('.xterm-rows > div').filter({ hasText: text });
}

const cli = (args: string[]) => execFileSync(process.execPath, ['bin/nsplay.js', ...args], { encoding: 'utf8', timeout: 120_000 });

test('draw, apply, ping, drift, undo, download', async ({ page }, info) => {
  page.on('console', (m) => { if (m.type() === 'warning' || m.type() === 'error') console.log(`[page] ${m.text()}`); });
  page.on('websocket', (ws) => ws.on('close', () => console.log(`[page] websocket closed ${ws.url()}`)));
  await page.goto('/');
  await expect(page.getByTestId('blank-canvas')).toBeVisible();
  await expect(page.locator('[data-testid^="lab-open-01"]')).toBeVisible();
  await shot(page, info, '01-start');

  await page.getByTestId('blank-canvas').click();
  await expect(page.getByTestId('playground')).toBeVisible({ timeout: 60_000 });
  for (const id of ['inspector', 'terminal-dock', 'commands-panel', 'apply-button', 'destroy-button', 'palette-netns', 'palette-bridge']) {
    await expect(page.getByTestId(id)).toBeVisible();
  }
  await expect(page.getByTestId('inspector-empty')).toBeVisible();
  await expect(page.getByTestId('terminal-empty')).toBeVisible();
  await expect(node(page, 'host')).toBeVisible();

  // Draw: a bridge and two namespaces, dragged from the palette; cables dragged between them.
  await dropFromPalette(page, 'bridge', 190, 110);
  await dropFromPalette(page, 'netns', 110, 300);
  await dropFromPalette(page, 'netns', 250, 450);
  await expect(node(page, 'br0')).toBeVisible();
  await expect(node(page, 'netns1')).toBeVisible();
  await expect(node(page, 'netns2')).toBeVisible();
  await connect(page, 'netns1', 'br0');
  await connect(page, 'netns2', 'br0');
  await expect(page.getByTestId('veth-netns1-br0')).toHaveCount(1);
  await expect(page.getByTestId('veth-netns2-br0')).toHaveCount(1);
  await page.getByTestId('layout-button').click();
  await page.waitForTimeout(400); // the fit animation
  await shot(page, info, '02-drawn');

  // Set addresses in the inspector; a bad one is refused at the field and Apply waits.
  await node(page, 'netns1').click();
  const a1 = page.getByTestId('iface-veth1-address-0');
  await a1.fill('10.0.0.300/24');
  await expect(page.getByTestId('inspector').getByText("'10.0.0.300' has octet 300; each must be 0 to 255")).toBeVisible();
  await expect(page.getByTestId('apply-button')).toBeDisabled();
  await shot(page, info, '03-invalid-address');
  await a1.fill('10.0.0.101/24');
  await node(page, 'netns2').click();
  await page.getByTestId('iface-veth3-address-0').fill('10.0.0.102/24');
  await expect(page.getByTestId('apply-button')).toBeEnabled();
  await expect(page.getByTestId('command-step').first()).toBeVisible();

  // Apply: preview first ("N commands will run"), then per-step progress.
  await page.getByTestId('apply-button').click();
  await expect(page.getByTestId('apply-panel')).toHaveAttribute('data-phase', 'confirm', { timeout: 30_000 });
  await expect(page.getByTestId('apply-panel')).toContainText(/\d+ commands will run/);
  await shot(page, info, '04-preview');
  await page.getByTestId('apply-confirm').click();
  await expect(page.getByTestId('apply-panel')).toHaveAttribute('data-phase', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('apply-outcome')).toContainText('Done');
  await expect(page.locator('[data-testid="apply-step"][data-status="failed"]')).toHaveCount(0);
  await expect(page.getByTestId('veth-netns1-br0')).toHaveAttribute('data-state', 'up', { timeout: 10_000 });
  await shot(page, info, '05-applied');
  await page.getByTestId('apply-close').click();

  // A terminal in netns1: the ping gets through the bridge.
  await node(page, 'netns1').dblclick();
  await expect(page.getByTestId('terminal-netns1')).toBeVisible();
  await typeIn(page, 'netns1', 'ping -c1 -W2 10.0.0.102');
  await expect(terminalRow(page, 'netns1', /1 packets transmitted, 1 received/)).toHaveCount(1, { timeout: 15_000 });
  await shot(page, info, '06-ping');

  // Break it from the host terminal: the canvas marks the drift within a couple of seconds.
  await page.getByTestId('terminal-open-select').selectOption('host');
  await expect(page.getByTestId('terminal-host')).toBeVisible();
  const deleted = await typeIn(page, 'host', 'ip link del veth0');
  await expect(page.getByTestId('veth-netns1-br0')).toHaveAttribute('data-state', 'drift', { timeout: 15_000 });
  const driftMs = Date.now() - deleted;
  await expect(page.getByTestId('drift-mark')).toBeVisible();
  await shot(page, info, '07-drift');

  // A namespace typed by hand appears as an observed node that can be adopted.
  const added = await typeIn(page, 'host', 'ip netns add handmade');
  await expect(page.getByTestId('ghost-handmade')).toBeVisible({ timeout: 15_000 });
  const ghostMs = Date.now() - added;
  await info.attach('terminal-to-canvas latency', { body: `veth deleted → drift mark: ${driftMs} ms\nip netns add → ghost node: ${ghostMs} ms\n` });
  console.log(`terminal → canvas: drift ${driftMs} ms, ghost ${ghostMs} ms`);
  await shot(page, info, '08-ghost');
  await page.getByTestId('adopt-handmade').click();
  await expect(node(page, 'handmade')).toHaveAttribute('data-id', 'handmade');
  await expect(page.getByTestId('ghost-handmade')).toHaveCount(0);
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('ghost-handmade')).toBeVisible();

  // Undo / redo an edit from the keyboard.
  await page.locator('.react-flow__pane').click({ position: { x: 40, y: 40 } });
  await page.getByTestId('palette-netns').click();
  await expect(node(page, 'netns3')).toBeVisible();
  await page.keyboard.press('Control+z');
  await expect(node(page, 'netns3')).toHaveCount(0);
  await page.keyboard.press('Control+Shift+z');
  await expect(node(page, 'netns3')).toBeVisible();
  await page.keyboard.press('Control+z');
  await expect(node(page, 'netns3')).toHaveCount(0);

  // Download the script; run with bash in a fresh session, it builds the same network.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('commands-download').click()]);
  const file = info.outputPath('topology.sh');
  await download.saveAs(file);
  const script = readFileSync(file, 'utf8');
  expect(script).toContain('ip netns add netns1');
  expect(script).toContain('ip link add name br0 type bridge');
  await page.getByTestId('commands-tab-script').click();
  await shot(page, info, '09-script');

  const id = (JSON.parse(cli(['session', 'create', '--json'])) as { id: string }).id;
  try {
    cli(['exec', id, 'host', '--', 'bash', file, 'setup']);
    const out = cli(['exec', id, 'netns1', '--', 'ping', '-c1', '-W2', '10.0.0.102']);
    expect(out).toMatch(/1 packets transmitted, 1 received/);
  } finally {
    cli(['session', 'destroy', id]);
  }

  // Save the drawing as YAML and export the canvas as PNG and SVG.
  await page.getByTestId('save-button').click();
  const [yamlFile] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-yaml').click()]);
  const yamlPath = info.outputPath('drawing.yaml');
  await yamlFile.saveAs(yamlPath);
  expect(readFileSync(yamlPath, 'utf8')).toMatch(/name: netns1[\s\S]*ifname: veth1/);
  for (const format of ['png', 'svg'] as const) {
    await page.getByTestId('export-button').click();
    const [img] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`export-${format}`).click()]);
    const imgPath = info.outputPath(`canvas.${format}`);
    await img.saveAs(imgPath);
    const head = readFileSync(imgPath).subarray(0, 8);
    if (format === 'png') expect(head.toString('latin1', 1, 4)).toBe('PNG');
    else expect(readFileSync(imgPath, 'utf8')).toContain('<svg');
  }

  // Closing a terminal tab ends its shell; the dark theme renders the same canvas.
  await page.getByTestId('terminal-close-host').click();
  await expect(page.getByTestId('terminal-host')).toHaveCount(0);
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveClass(/dark/);
  await shot(page, info, '10-dark');
});

test('a lab opens by URL, a reload re-attaches, files open from labs/ only', async ({ page }, info) => {
  await page.goto('/?lab=03-bridge');
  await expect(page.getByTestId('playground')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('session-title')).toContainText('03-bridge');
  await expect(node(page, 'host')).toBeVisible();
  await shot(page, info, 'lab-03');
  // A reload re-attaches to the same sandbox and keeps the drawing.
  await page.getByTestId('palette-netns').click();
  await expect(node(page, 'netns1')).toBeVisible();
  const session = await page.getByTestId('playground').getAttribute('data-session');
  await page.reload();
  await expect(page.getByTestId('playground')).toHaveAttribute('data-session', session!, { timeout: 30_000 });
  await expect(node(page, 'netns1')).toBeVisible();
  await page.getByTestId('back-button').click();
  await expect(page.getByTestId('start-screen')).toBeVisible();
  await page.evaluate(() => sessionStorage.clear());
  await page.goto('/?file=labs/03-bridge/final.yaml');
  await expect(page.getByTestId('playground')).toBeVisible({ timeout: 60_000 });
  await expect(node(page, 'br0')).toBeVisible();
  await expect(node(page, 'netns1')).toBeVisible();
  await shot(page, info, 'file-03-final');
  await page.getByTestId('back-button').click();
  await page.evaluate(() => sessionStorage.clear());
  await page.goto('/?file=../package.json');
  await expect(page.getByTestId('start-screen')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('start-error')).toContainText('outside labs/');
});
