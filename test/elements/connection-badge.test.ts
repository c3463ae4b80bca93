import { expect, fixture, html } from '@open-wc/testing';
import { sendKeys } from '@web/test-runner-commands';
import '../../src/elements/connection-badge/connection-badge.js';
import '../../src/elements/pnl-summary/pnl-summary.js';
import type { ConnectionBadge } from '../../src/elements/connection-badge/connection-badge.js';
import { getStream } from '../../src/stream/index.js';
import { dropAllConnections, dropConnectionsFor, refuseUpgrades, serverInfo, waitFor } from '../support/browser/server.js';
import { record, waitForState } from './helpers.js';

let url: string;
before(async () => {
  url = (await serverInfo()).url;
});

/** A badge next to a subscriber, so the stream has a reason to connect. */
async function badge(attrs = html``) {
  const host = await fixture<HTMLDivElement>(html`<div>
    <connection-badge .src=${url}></connection-badge>
    <pnl-summary .src=${url} account="demo"></pnl-summary>
    ${attrs}
  </div>`);
  return host.querySelector('connection-badge')!;
}
const root = (el: ConnectionBadge) => el.shadowRoot!;
const label = (el: ConnectionBadge) => root(el).querySelector('[part=label]')!.textContent!.trim();
const buttons = (el: ConnectionBadge) => [...root(el).querySelectorAll('button')];
const button = (el: ConnectionBadge, text: string) => buttons(el).find((b) => b.textContent!.trim() === text);
const status = (el: ConnectionBadge) => root(el).querySelector('[role=status]')!.textContent!.trim();

describe('<connection-badge>', () => {
  it('shows the live state with a dot and a text label, and reflects state', async () => {
    const el = await badge();
    await waitForState(el, 'open');
    expect(el.getAttribute('state')).to.equal('open');
    expect(label(el)).to.equal('Live');
    expect(root(el).querySelector('[part=dot]')!.classList.contains('good')).to.equal(true);
    expect(root(el).querySelector('[role=status][aria-live=polite]')).to.exist;
    expect(button(el, 'Reconnect now')).to.equal(undefined); // only while down
  });

  it('reports only connection states in lmw-state-change, from its very first one', async () => {
    const seen: Array<{ state: string; previous: string }> = [];
    const listener = (event: Event) => {
      if ((event.target as Element).localName === 'connection-badge') seen.push((event as CustomEvent).detail);
    };
    document.addEventListener('lmw-state-change', listener);
    const isolated = `${url.replace('ws://127.0.0.1', 'ws://localhost')}?first-state`; // a fresh, idle stream
    try {
      const host = await fixture<HTMLDivElement>(html`<div>
        <connection-badge .src=${isolated}></connection-badge>
        <pnl-summary .src=${isolated} account="demo"></pnl-summary>
      </div>`);
      const el = host.querySelector('connection-badge')!;
      await waitForState(el, 'open');
      const states = ['idle', 'connecting', 'open', 'reconnecting', 'polling', 'paused', 'closed'];
      expect(seen.length).to.be.greaterThan(0);
      for (const { state, previous } of seen) {
        expect(states).to.include(state);
        expect(states).to.include(previous);
      }
    } finally {
      document.removeEventListener('lmw-state-change', listener);
      getStream(isolated).close();
    }
  });

  it('goes to reconnecting on a forced drop, announces it, and comes back live on its own', async () => {
    const el = await badge();
    await waitForState(el, 'open');
    const states = record<{ state: string; previous: string }>(el, 'lmw-state-change');
    // Refuse upgrades briefly so the outage outlasts the first jittered retry (which can be ~0 ms)
    // and the badge can be read while it is down.
    await refuseUpgrades(600);
    await dropAllConnections();
    await waitFor(() => el.state === 'reconnecting' || el.state === 'connecting', 5_000, 'reconnecting');
    await el.updateComplete;
    expect(label(el)).to.match(/Reconnecting|Connecting/);
    expect(status(el)).to.contain('Connection lost');
    await waitForState(el, 'open');
    await el.updateComplete;
    expect(status(el)).to.contain('Connection restored');
    expect(states.events[0]!.detail).to.deep.equal({ state: 'reconnecting', previous: 'open' });
    expect(states.events.at(-1)!.detail.state).to.equal('open');
    expect(states.events.every((e) => e.bubbles && e.composed)).to.equal(true);
  });

  it('offers "Reconnect now" while down, which connects at once', async () => {
    // A stream of its own whose retries wait their whole backoff window (no jitter towards
    // 0), so no retry of its own can win the race with the button (that made this flaky).
    const src = `${url}?reconnect-now`;
    const stream = getStream(src, { random: () => 0.999 });
    const host = await fixture<HTMLDivElement>(html`<div>
      <connection-badge .src=${src}></connection-badge>
      <pnl-summary .src=${src} account="demo"></pnl-summary>
    </div>`);
    const el = host.querySelector('connection-badge')!;
    try {
      await waitForState(el, 'open');
      await refuseUpgrades(30_000);
      await dropAllConnections();
      // After three refused attempts the next retry is about 4 s away (500 ms x 2^3).
      await waitFor(() => stream.metrics.attempt >= 3, 10_000, 'three refused attempts');
      await el.updateComplete;
      const reconnect = await waitFor(() => button(el, 'Reconnect now'), 2_000, 'the reconnect-now button');
      await refuseUpgrades(0); // upgrades allowed again from now
      reconnect.click();
      await waitForState(el, 'open', 3_000); // before the backed-off retry is due
      await el.updateComplete;
      expect(button(el, 'Reconnect now')).to.equal(undefined);
    } finally {
      await refuseUpgrades(0);
      stream.close();
    }
  });

  it('pauses and resumes the stream with its button', async () => {
    const el = await badge();
    await waitForState(el, 'open');
    button(el, 'Pause')!.click();
    await waitForState(el, 'paused');
    expect(getStream(url).paused).to.equal(true);
    await el.updateComplete;
    expect(label(el)).to.equal('Paused');
    expect(root(el).querySelector('[part=dot]')!.classList.contains('idle')).to.equal(true);
    button(el, 'Resume')!.click();
    await waitForState(el, 'open');
    expect(getStream(url).paused).to.equal(false);
  });

  it('opens a details disclosure with URL, attempts, connected since, latency and last message age', async () => {
    const el = await badge();
    await waitForState(el, 'open');
    const toggle = button(el, 'Details')!;
    expect(toggle.getAttribute('aria-expanded')).to.equal('false');
    expect((root(el).querySelector('[part=details]') as HTMLElement).hidden).to.equal(true);
    toggle.focus();
    await sendKeys({ press: 'Enter' });
    await el.updateComplete;
    expect(toggle.getAttribute('aria-expanded')).to.equal('true');
    const details = root(el).querySelector('[part=details]') as HTMLElement;
    expect(details.hidden).to.equal(false);
    expect(root(el).getElementById(toggle.getAttribute('aria-controls')!)).to.equal(details);
    const text = details.textContent!.replace(/\s+/g, ' ');
    for (const term of ['URL', 'Attempt', 'Connected since', 'Latency', 'Last message']) expect(text).to.contain(term);
    expect(text).to.contain(getStream(url).url);
    await sendKeys({ press: 'Escape' });
    await el.updateComplete;
    expect(toggle.getAttribute('aria-expanded')).to.equal('false');
  });

  it('has keyboard-reachable buttons with a visible focus ring', async () => {
    const el = await badge();
    await waitForState(el, 'open');
    const before = document.createElement('button');
    before.textContent = 'before';
    el.before(before);
    before.focus();
    await sendKeys({ press: 'Tab' }); // keyboard focus: :focus-visible applies
    expect(document.activeElement).to.equal(el);
    const focused = root(el).activeElement as HTMLButtonElement;
    expect(focused.textContent!.trim()).to.equal('Pause');
    expect(getComputedStyle(focused).outlineStyle).to.equal('solid');
    await sendKeys({ press: 'Tab' });
    expect((root(el).activeElement as HTMLElement).textContent!.trim()).to.equal('Details');
  });

  it('hides the controls with no-controls, and supports compact and floating variants', async () => {
    const el = await badge();
    el.noControls = true;
    await waitForState(el, 'open');
    await el.updateComplete;
    expect(button(el, 'Pause')).to.equal(undefined);
    expect(button(el, 'Details')).to.exist;
    el.variant = 'floating';
    await el.updateComplete;
    expect(getComputedStyle(el).position).to.equal('fixed');
    el.variant = 'compact';
    await el.updateComplete;
    expect(el.getAttribute('variant')).to.equal('compact');
    expect(label(el)).to.equal('Live');
  });

  it('reports a missing data source as an error, in text', async () => {
    const el = await fixture<ConnectionBadge>(html`<connection-badge></connection-badge>`);
    expect(el.state).to.equal('error');
    expect(label(el)).to.equal('No data source');
    await expect(el).to.be.accessible();
  });

  it('does not fire lmw-state-change on property sets', async () => {
    const el = await badge();
    await waitForState(el, 'open');
    const states = record(el, 'lmw-state-change');
    el.variant = 'compact';
    el.theme = 'dark';
    el.locale = 'fr';
    await el.updateComplete;
    expect(states.events).to.have.length(0);
  });

  it('is accessible live, paused, reconnecting, and with details open, in both themes', async () => {
    const el = await badge();
    await waitForState(el, 'open');
    await expect(el).to.be.accessible();
    button(el, 'Details')!.click();
    await el.updateComplete;
    await expect(el).to.be.accessible();
    el.theme = 'dark';
    await el.updateComplete;
    await expect(el).to.be.accessible();
    button(el, 'Pause')!.click();
    await waitForState(el, 'paused');
    await expect(el).to.be.accessible();
    button(el, 'Resume')!.click();
    await waitForState(el, 'open');
    await dropConnectionsFor(600);
    await waitFor(() => el.state !== 'open', 5_000);
    await expect(el).to.be.accessible();
    await waitForState(el, 'open');
  });
});
