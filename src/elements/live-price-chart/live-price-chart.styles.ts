import { css } from 'lit';

export const chartStyles = css`
  :host {
    display: flex;
    flex-direction: column;
    position: relative;
    height: 360px;
    min-height: 200px;
    overflow: hidden;
  }
  .header {
    display: flex;
    align-items: baseline;
    flex-wrap: wrap;
    gap: 4px 12px;
    padding: 12px 14px 8px;
    min-height: 48px;
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
  .spacer {
    flex: 1;
  }
  .header-skeleton {
    display: inline-block;
    width: 96px;
    height: 18px;
    vertical-align: middle;
  }
  .body {
    position: relative;
    flex: 1 1 auto;
    min-height: 0;
  }
  .chart {
    position: absolute;
    inset: 0 4px 4px 4px;
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
