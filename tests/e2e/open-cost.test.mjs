// Opening the panel is one click's work: the list shows the newest message
// and the composer has focus, with at most one layout forced inside the
// click's task (read from a Chromium trace of the click).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inShadow, mockWidget, openHost, sendAndWaitForReply, useBrowser } from '../support/widget.mjs';

const env = useBrowser();

/** Layouts inside the click's dispatch, from a trace. */
function forcedInClick(trace) {
  const events = (trace.traceEvents ?? trace).filter((e) => e.ph === 'X' && e.dur != null);
  const click = events.find((e) => e.name === 'EventDispatch' && e.args?.data?.type === 'click');
  assert.ok(click, 'the click is in the trace');
  const inside = (e) => e.pid === click.pid && e.tid === click.tid && e.ts >= click.ts && e.ts + e.dur <= click.ts + click.dur;
  return { layouts: events.filter((e) => e.name === 'Layout' && inside(e)).length };
}

test('opening scrolls to the newest message and focuses the composer with one forced layout', async () => {
  const { context, page } = await openHost(env);
  try {
    await mockWidget(page);
    // Rows to scroll through: the panel is opened, filled and closed first.
    await page.evaluate(() => window.Natter.open());
    for (let i = 0; i < 6; i++) await sendAndWaitForReply(page, `line ${i}\n`.repeat(4));
    await page.evaluate(() => window.Natter.close());
    await inShadow(page, (root) => (root.querySelector('[part~=messages]').scrollTop = 0));

    await env.browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
    await inShadow(page, (root) => root.querySelector('[part~=launcher]').click());
    const trace = JSON.parse((await env.browser.stopTracing()).toString());

    const state = await inShadow(page, (root) => {
      const list = root.querySelector('[part~=messages]');
      return {
        focused: root.activeElement?.getAttribute('part'),
        atEnd: list.scrollTop > 0 && list.scrollTop + list.clientHeight >= list.scrollHeight - 2,
      };
    });
    assert.deepEqual(state, { focused: 'input', atEnd: true });
    const { layouts } = forcedInClick(trace);
    assert.ok(layouts <= 1, `${layouts} layouts forced in the click`);
  } finally {
    await context.close();
  }
});
