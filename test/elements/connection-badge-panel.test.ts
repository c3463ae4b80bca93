/** <connection-badge>'s details panel (outside click, viewport) and its stable width (issue 16). */
import { expect, fixture, html } from '@open-wc/testing';
import { resetMouse, sendKeys, sendMouse } from '@web/test-runner-commands';
import '../../src/elements/connection-badge/connection-badge.js';
import '../../src/elements/pnl-summary/pnl-summary.js';
import type { ConnectionBadge } from '../../src/elements/connection-badge/connection-badge.js';
import { getStream } from '../../src/stream/index.js';
import { dropAllConnections, refuseUpgrades, serverInfo, waitFor } from '../support/browser/server.js';
import { waitForState } from './helpers.js';

let url: string;
before(async () => {
  url = (await serverInfo()).url;
});
afterEach(() => resetMouse());

const root = (el: ConnectionBadge) => el.shadowRoot!;
const button = (el: ConnectionBadge, text: string) => [...root(el).querySelectorAll('button')].find((b) => b.textContent!.trim() === text);
const panel = (el: ConnectionBadge) => root(el).querySelector<HTMLElement>('[part=details]')!;
const toggle = (el: ConnectionBadge) => root(el).querySelector<HTMLButtonElement>('button[aria-expanded]')!;

/** A badge in a fixed box at `position` (CSS), next to a subscriber so the stream connects. */
async function placedBadge(position: string, src = url) {
  const host = await fixture<HTMLDivElement>(html`<div>
    <div style="position:fixed;${position}"><connection-badge .src=${src}></connection-badge></div>
    <pnl-summary .src=${src} account="demo" style="display:block;height:40px;overflow:hidden"></pnl-summary>
  </div>`);
  return host.querySelector('connection-badge')!;
}

async function clickAt(x: number, y: number) {
  await sendMouse({ type: 'click', position: [Math.round(x), Math.round(y)] });
}

async function open(el: ConnectionBadge) {
  const r = toggle(el).getBoundingClientRect();
  await clickAt(r.left + r.width / 2, r.top + r.height / 2); // a real pointer press, like a user's
  await el.updateComplete;
  expect(toggle(el).getAttribute('aria-expanded')).to.equal('true');
}

function expectInViewport(rect: DOMRect) {
  const width = document.documentElement.clientWidth;
  expect(rect.left, 'left edge').to.be.at.least(0);
  expect(rect.top, 'top edge').to.be.at.least(0);
  expect(rect.right, 'right edge').to.be.at.most(width);
  expect(rect.bottom, 'bottom edge').to.be.at.most(window.innerHeight);
}

describe('<connection-badge> details panel', () => {
  it('has a toggle with aria-expanded and aria-controls naming the panel', async () => {
    const el = await placedBadge('top:100px;right:100px');
    await waitForState(el, 'open');
    expect(toggle(el).getAttribute('aria-expanded')).to.equal('false');
    expect(root(el).getElementById(toggle(el).getAttribute('aria-controls')!)).to.equal(panel(el));
  });

  it('closes on a click outside, not on a click inside the panel', async () => {
    const el = await placedBadge('top:100px;right:100px');
    await waitForState(el, 'open');
    await open(el);
    const inside = panel(el).getBoundingClientRect();
    await clickAt(inside.left + 10, inside.top + 10);
    await el.updateComplete;
    expect(panel(el).hidden, 'a click inside keeps it open').to.equal(false);
    await clickAt(20, window.innerHeight - 20); // empty page area
    await el.updateComplete;
    expect(toggle(el).getAttribute('aria-expanded')).to.equal('false');
    expect(panel(el).hidden).to.equal(true);
  });

  it('still closes on Escape and gives focus back to the toggle', async () => {
    const el = await placedBadge('top:100px;right:100px');
    await waitForState(el, 'open');
    await open(el);
    await sendKeys({ press: 'Escape' });
    await el.updateComplete;
    expect(panel(el).hidden).to.equal(true);
    expect(root(el).activeElement).to.equal(toggle(el));
  });

  it('shows "Connected since" as 24-hour time, like the chart axes, even in en-US', async () => {
    const el = await placedBadge('top:100px;right:100px');
    el.locale = 'en-US';
    await waitForState(el, 'open');
    await open(el);
    const dt = [...panel(el).querySelectorAll('dt')].find((d) => d.textContent!.trim() === 'Connected since')!;
    const text = dt.nextElementSibling!.textContent!.trim();
    expect(text).to.match(/^\d{2}:\d{2}:\d{2}$/);
  });

  for (const [where, position] of [
    ['top-left corner', 'top:4px;left:4px'],
    ['bottom-left corner', 'bottom:4px;left:4px'],
    ['bottom-right corner', 'bottom:4px;right:4px'],
    ['top-right corner', 'top:4px;right:4px'],
  ] as const) {
    it(`stays inside the viewport when the badge is in the ${where}`, async () => {
      const el = await placedBadge(position);
      await waitForState(el, 'open');
      await open(el);
      await waitFor(() => panel(el).getBoundingClientRect().height > 40, 2_000, 'the panel content');
      expectInViewport(panel(el).getBoundingClientRect());
    });
  }

  it('stays inside the viewport as a floating badge', async () => {
    const host = await fixture<HTMLDivElement>(html`<div>
      <connection-badge .src=${url} variant="floating"></connection-badge>
      <pnl-summary .src=${url} account="demo" style="display:block;height:40px;overflow:hidden"></pnl-summary>
    </div>`);
    const el = host.querySelector('connection-badge')!;
    await waitForState(el, 'open');
    await open(el);
    expectInViewport(panel(el).getBoundingClientRect());
  });
});

describe('<connection-badge> width', () => {
  for (const headerWidth of [700, 300]) {
    it(`keeps its size, and its neighbours keep their place, when "Reconnect now" appears (${headerWidth} px header)`, async () => {
      const src = `${url}?badge-width-${headerWidth}`;
      const stream = getStream(src, { random: () => 0.999 }); // long backoff: the down state lasts
      const host = await fixture<HTMLDivElement>(html`<div>
        <header style="display:flex;flex-wrap:wrap;align-items:center;gap:12px;width:${headerWidth}px">
          <span id="before">Title</span><connection-badge .src=${src}></connection-badge><span id="after">Menu</span>
        </header>
        <p id="below">Below the header</p>
        <pnl-summary .src=${src} account="demo" style="display:block;height:40px;overflow:hidden"></pnl-summary>
      </div>`);
      const el = host.querySelector('connection-badge')!;
      const after = host.querySelector('#after')!;
      const below = host.querySelector('#below')!;
      try {
        await waitForState(el, 'open');
        await el.updateComplete;
        const box = el.getBoundingClientRect();
        const afterBox = after.getBoundingClientRect();
        const belowTop = below.getBoundingClientRect().top;
        expect(box.width, 'fits its header').to.be.at.most(headerWidth);
        await refuseUpgrades(30_000);
        await dropAllConnections();
        await waitFor(() => button(el, 'Reconnect now'), 10_000, 'the reconnect-now button');
        await el.updateComplete;
        const now = el.getBoundingClientRect();
        expect([now.width, now.height]).to.deep.equal([box.width, box.height]);
        expect([after.getBoundingClientRect().left, after.getBoundingClientRect().top]).to.deep.equal([afterBox.left, afterBox.top]);
        expect(below.getBoundingClientRect().top).to.equal(belowTop);
        // The visible pill grew inside the reserved box and still fits it.
        const bar = root(el).querySelector('[part=bar]')!.getBoundingClientRect();
        expect(bar.width).to.be.at.most(box.width + 0.5);
        expect(bar.height).to.be.at.most(box.height + 0.5);
      } finally {
        await refuseUpgrades(0);
        stream.close();
      }
    });
  }
});
