// The chart's time-axis labels are never drawn cut at the axis's edges (issue 16): scrolled to any
// position and at any width, every tick label the time axis draws lies wholly inside it.
// src/elements/live-price-chart/time-axis-labels.ts holds the trick this test keeps honest.
import { expect, fixture, html } from '@open-wc/testing';
import type { IChartApi } from 'lightweight-charts';
import '../../src/elements/live-price-chart/live-price-chart.js';
import type { LivePriceChart } from '../../src/elements/live-price-chart/live-price-chart.js';
import { serverInfo, waitFor } from '../support/browser/server.js';
import { nextFrame, waitForState } from './helpers.js';

interface Drawn {
  canvas: HTMLCanvasElement;
  text: string;
  left: number;
  right: number;
  /** The canvas's width when the text was drawn. */
  width: number;
}

/** Every centred text any canvas draws, with its extent in CSS pixels (what the user sees). */
const drawn: Drawn[] = [];
const fillText = CanvasRenderingContext2D.prototype.fillText;

before(() => {
  CanvasRenderingContext2D.prototype.fillText = function (text: string, x: number, y: number, maxWidth?: number) {
    if (this.textAlign === 'center' && this.canvas instanceof HTMLCanvasElement) {
      const half = this.measureText(text).width / 2;
      drawn.push({ canvas: this.canvas, text, left: x - half, right: x + half, width: this.canvas.clientWidth });
    }
    if (maxWidth === undefined) fillText.call(this, text, x, y);
    else fillText.call(this, text, x, y, maxWidth);
  };
});
after(() => {
  CanvasRenderingContext2D.prototype.fillText = fillText;
});

const paint = async () => {
  await nextFrame();
  await nextFrame();
};

describe('time axis labels', () => {
  it('are whole at every scroll position and width (cut ones are skipped)', async () => {
    const { url } = await serverInfo();
    const host = await fixture<HTMLDivElement>(html`<div style="width:420px;height:260px">
      <live-price-chart style="height:100%" .src=${url} symbol="BTC-USD" interval="1s"></live-price-chart>
    </div>`);
    const el = host.querySelector<LivePriceChart>('live-price-chart')!;
    await waitForState(el, 'live');
    const chart = await waitFor(() => (el as unknown as { _chart?: IChartApi })._chart, 10_000, 'the chart created');
    await waitFor(() => el.bars.length >= 60 || undefined, 15_000, '60 bars');
    const timeAxis = el.shadowRoot!.querySelector('table')!.lastElementChild!.children[1]!.querySelector('canvas')!;

    // Bar spacing is 8 px and a label is about 30 px wide: quarter-bar steps over 12 bars move every
    // tick through the left edge, and the widths move the right edge through them too.
    for (const width of [420, 397, 373]) {
      host.style.width = `${width}px`;
      await paint();
      for (let step = 0; step <= 48; step++) {
        chart.timeScale().scrollToPosition(-10 - step / 4, false);
        await paint();
      }
    }

    const labels = drawn.filter((label) => label.canvas === timeAxis);
    expect(labels.length, 'time labels drawn').to.be.above(100);
    const cut = labels.filter((label) => label.left < 0 || label.right > label.width);
    expect(cut.map((label) => `${label.text} at ${label.left.toFixed(1)}..${label.right.toFixed(1)} of ${label.width}`)).to.deep.equal([]);
  });
});
