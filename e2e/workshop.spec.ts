// Workshop: an instructor presents; an attendee in another browser context follows their canvas,
// terminal output and probe animation read-only, then forks the drawing into a sandbox of their own,
// applies it and pings there; the instructor's roster lists the attendee's session.
import { expect, test, type Page, type TestInfo } from '@playwright/test';

async function shot(page: Page, info: TestInfo, name: string) {
  await page.screenshot({ path: info.outputPath(`${name}.png`) });
}
const node = (page: Page, name: string) => page.locator(`.react-flow__node[data-id="${name}"]`);

test('an attendee follows the instructor read-only, then forks and pings in their own sandbox', async ({ browser }, info) => {
  test.setTimeout(600_000);
  const instructorCtx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const attendeeCtx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const teacher = await instructorCtx.newPage();
  const student = await attendeeCtx.newPage();
  for (const [who, p] of [['teacher', teacher], ['student', student]] as const) {
    p.on('console', (m) => { if (m.type() === 'error') console.log(`[${who}] ${m.text()}`); });
  }

  // The instructor opens lab 3's drawing, presents it and applies it.
  await teacher.goto('/?file=labs/03-bridge/final.yaml');
  await expect(teacher.getByTestId('playground')).toBeVisible({ timeout: 180_000 });
  await teacher.getByTestId('present-button').click();
  await expect(teacher.getByTestId('present-button')).toHaveAttribute('aria-pressed', 'true');
  await teacher.getByTestId('apply-button').click();
  await teacher.getByTestId('apply-confirm').click();
  await expect(teacher.getByTestId('apply-panel')).toHaveAttribute('data-phase', 'done', { timeout: 120_000 });
  await teacher.getByTestId('apply-close').click();
  const teacherSession = await teacher.getByTestId('playground').getAttribute('data-session');

  // The attendee sees the banner and follows: the same canvas, live from the kernel.
  await student.goto('/');
  await expect(student.getByTestId('demo-banner')).toBeVisible({ timeout: 60_000 });
  await student.getByTestId('follow-start').click();
  await expect(student.getByTestId('follow-view')).toHaveAttribute('data-session', teacherSession!);
  await expect(node(student, 'netns1')).toBeVisible({ timeout: 30_000 });
  await expect(student.getByTestId('veth-br0-netns1')).toHaveAttribute('data-state', 'up', { timeout: 30_000 });

  // A change on the instructor's canvas shows on the attendee's.
  const t0 = Date.now();
  await teacher.getByTestId('palette-netns').click();
  await expect(node(student, 'netns3')).toBeVisible({ timeout: 10_000 });
  const followMs = Date.now() - t0;
  await info.attach('follow latency', { body: `instructor adds netns3 → attendee sees it: ${followMs} ms\n` });
  console.log(`follow: instructor edit → attendee canvas ${followMs} ms`);
  await teacher.keyboard.press('Control+z');
  await expect(node(student, 'netns3')).toHaveCount(0, { timeout: 10_000 });

  // The instructor's terminal output streams to the attendee; the attendee cannot type into it.
  await node(teacher, 'netns1').dblclick();
  await expect(teacher.getByTestId('terminal-netns1')).toBeVisible();
  await teacher.getByTestId('terminal-netns1').click();
  await teacher.keyboard.type('echo FROM-THE-$((1+1))-INSTRUCTOR');
  await teacher.keyboard.press('Enter');
  await expect(student.getByTestId('follow-terminal')).toContainText('FROM-THE-2-INSTRUCTOR', { timeout: 15_000 });
  await student.getByTestId('follow-terminal').click();
  await student.keyboard.type('echo ATTENDEE-WAS-HERE');
  await student.keyboard.press('Enter');
  await teacher.waitForTimeout(500);
  await expect(teacher.getByTestId('terminal-netns1')).not.toContainText('ATTENDEE-WAS-HERE');

  // The instructor's probe rides the attendee's canvas too.
  await teacher.getByTestId('packets-button').click();
  await teacher.getByTestId('probe-from').selectOption('netns1');
  await teacher.getByTestId('probe-to').fill('1.1.1.1');
  await teacher.getByTestId('probe-run').click();
  await expect(student.getByTestId('probe-anim')).toHaveAttribute('data-state', 'ok', { timeout: 90_000 });
  await shot(student, info, 'workshop-01-following');
  await shot(teacher, info, 'workshop-00-instructor');

  // Fork: the attendee's own sandbox with the instructor's drawing; apply it and ping there.
  await student.getByTestId('fork-button').click();
  await expect(student.getByTestId('playground')).toBeVisible({ timeout: 120_000 });
  const own = await student.getByTestId('playground').getAttribute('data-session');
  expect(own).toBeTruthy();
  expect(own).not.toBe(teacherSession);
  await expect(node(student, 'netns1')).toBeVisible();
  await student.getByTestId('apply-button').click();
  await student.getByTestId('apply-confirm').click();
  await expect(student.getByTestId('apply-panel')).toHaveAttribute('data-phase', 'done', { timeout: 120_000 });
  await student.getByTestId('apply-close').click();
  await node(student, 'netns1').dblclick();
  await student.getByTestId('terminal-netns1').click();
  await student.keyboard.type('ping -c1 -W2 10.0.0.102');
  await student.keyboard.press('Enter');
  await expect(student.getByTestId('terminal-netns1')).toContainText(/1 packets transmitted, 1 received/, { timeout: 20_000 });
  await shot(student, info, 'workshop-02-forked');

  // The instructor's roster lists the attendee's own session.
  await teacher.getByTestId('roster-button').click();
  await expect(teacher.getByTestId('roster-panel')).toBeVisible();
  await expect(teacher.locator(`[data-testid="roster-row"][data-session="${own}"]`)).toBeVisible({ timeout: 15_000 });
  await shot(teacher, info, 'workshop-03-roster');

  // The demo ends with the instructor's page.
  await teacher.getByTestId('present-button').click();
  await expect(teacher.getByTestId('present-button')).toHaveAttribute('aria-pressed', 'false');
  await instructorCtx.close();
  await attendeeCtx.close();
});

test('forking a lab demo catches up with the instructor\'s step in the attendee\'s own sandbox', async ({ browser }, info) => {
  test.setTimeout(600_000);
  const instructorCtx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const attendeeCtx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const teacher = await instructorCtx.newPage();
  const student = await attendeeCtx.newPage();

  // The instructor presents lab 1 and runs its first two steps.
  await teacher.goto('/?lab=01-rootns-netns');
  await expect(teacher.getByTestId('lab-panel')).toBeVisible({ timeout: 180_000 });
  await teacher.getByTestId('present-button').click();
  await expect(teacher.getByTestId('present-button')).toHaveAttribute('aria-pressed', 'true');
  for (const n of [1, 2]) {
    await teacher.getByTestId(`lab-run-${n}`).click();
    await expect(teacher.getByTestId(`lab-step-${n}`)).toHaveAttribute('data-status', 'passed', { timeout: 120_000 });
  }
  // The presenter view: the steps and their commands in large type for the projector.
  await teacher.getByTestId('presenter-view').click();
  await expect(teacher.locator('html.presenter')).toHaveCount(1);
  await shot(teacher, info, 'workshop-06-presenter-view');

  // The attendee follows: the instructor is on step 3.
  await student.goto('/');
  await student.getByTestId('follow-start').click();
  await expect(student.getByTestId('follow-step')).toHaveAttribute('data-step', '2', { timeout: 30_000 });
  await expect(student.locator('.react-flow__node[data-id="netns1"]')).toBeVisible({ timeout: 30_000 });

  // Fork: a lab session of their own, steps 1–2 run for them, so they stand where the instructor does.
  await student.getByTestId('fork-button').click();
  await expect(student.getByTestId('lab-panel')).toBeVisible({ timeout: 180_000 });
  const own = await student.getByTestId('playground').getAttribute('data-session');
  const teacherSession = await teacher.getByTestId('playground').getAttribute('data-session');
  expect(own).not.toBe(teacherSession);
  await expect(student.getByTestId('lab-step-1')).toHaveAttribute('data-status', 'passed', { timeout: 180_000 });
  await expect(student.getByTestId('lab-step-2')).toHaveAttribute('data-status', 'passed', { timeout: 60_000 });
  await expect(student.getByTestId('lab-step-3')).toHaveAttribute('data-status', 'pending');
  await shot(student, info, 'workshop-04-forked-at-step-3');

  // The instructor's roster shows the attendee on step 3 of lab 1; "go to step 4" reaches them.
  await teacher.getByTestId('roster-button').click();
  const row = teacher.locator(`[data-testid="roster-row"][data-session="${own}"]`);
  await expect(row).toHaveAttribute('data-step', '3', { timeout: 15_000 });
  await teacher.getByTestId('roster-step').fill('4');
  await teacher.getByTestId('roster-goto').click();
  await expect(student.getByTestId('toast')).toContainText('go to step 4', { timeout: 15_000 });
  await shot(teacher, info, 'workshop-05-roster-lab');
  await instructorCtx.close();
  await attendeeCtx.close();
});

