import { css } from 'lit';

export const chartStyles = css`
  :host {
    display: block;
    height: 360px;
    min-height: 200px;
  }
  /* Header, chart, attribution: a grid on the wrapper, so the chart row gets the height
     whatever display the page gives the host (block, flex, grid item, contents). */
  .base {
    display: grid;
    grid-template-rows: auto minmax(0, 1fr) auto;
    block-size: 100%;
    min-block-size: inherit;
    overflow: hidden;
    /* Sized by its container; in a shrink-to-fit parent (flex row, inline-block, an
       absolutely positioned box without a width) it takes this width. */
    container-type: inline-size;
    contain-intrinsic-inline-size: 320px;
  }
  .header {
    display: flex;
    align-items: baseline;
    flex-wrap: wrap;
    gap: 4px 12px;
    padding: 12px 14px 8px;
    min-height: 48px;
    min-width: 0;
  }
  .symbol {
    font-weight: 650;
    font-size: 15px;
    letter-spacing: 0.01em;
    overflow-wrap: anywhere;
  }
  .interval {
    font-size: 11px;
    color: var(--_muted);
    border: 1px solid var(--_border);
    border-radius: 4px;
    padding: 0 5px;
  }
  .price {
    font-size: 20px;
    font-weight: 600;
    font-variant-numeric: tabular-nums;
  }
  .change {
    font-variant-numeric: tabular-nums;
    font-weight: 500;
  }
  .header-skeleton {
    display: inline-block;
    width: 96px;
    height: 18px;
    vertical-align: middle;
  }
  .body {
    position: relative;
    min-height: 0;
  }
  .chart {
    position: absolute;
    inset: 0 4px 0 4px;
  }
  /* The stale marker floats over the chart's top margin (the price scale keeps the top 12 %
     empty): it never wraps in the header nor changes the chart's height. */
  .body > .notice {
    position: absolute;
    top: 4px;
    left: 10px;
    z-index: 4;
    pointer-events: none;
    background: var(--_bg);
  }
  /* The chart library's attribution, as a labelled text link in its own row under the
     chart instead of its logo, which sat on the data and was an unlabelled tab stop. */
  .attribution {
    display: flex;
    justify-content: flex-end;
    padding: 0 10px 4px;
    font-size: 11px;
    line-height: 16px;
  }
  .attribution a {
    color: var(--_muted);
    text-decoration: none;
    white-space: nowrap;
    border-radius: 3px;
  }
  .attribution a:hover {
    text-decoration: underline;
  }
  .attribution a:focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 1px;
  }
  @container (max-width: 360px) {
    .header {
      padding: 10px 10px 6px;
      gap: 2px 8px;
    }
    .price {
      font-size: 17px;
    }
  }
  .overlay {
    position: absolute;
    inset: 0;
    display: flex;
    align-items: center;
    justify-content: center;
    background: var(--_bg);
  }
  .overlay.loading {
    padding: 12px 14px 16px;
    align-items: stretch;
    flex-direction: column;
    gap: 8px;
  }
  .overlay.loading .skeleton {
    flex: 1;
  }
  .overlay.loading .skeleton.axis {
    flex: 0 0 14px;
    width: 70%;
  }
`;
