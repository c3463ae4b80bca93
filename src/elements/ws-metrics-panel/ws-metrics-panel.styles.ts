import { css } from 'lit';

export const metricsStyles = css`
  :host {
    display: block;
  }
  .base {
    padding: 12px 14px;
    /* Sized by its container; in a shrink-to-fit parent (flex row, inline-block) it takes this. */
    container-type: inline-size;
    contain-intrinsic-inline-size: 280px;
  }
  .header {
    display: flex;
    align-items: center;
    gap: 8px;
    margin-bottom: 10px;
  }
  .title {
    font-weight: 650;
    font-size: 15px;
  }
  .mode {
    font-size: 11px;
    text-transform: uppercase;
    letter-spacing: 0.05em;
    color: var(--_muted);
    border: 1px solid var(--_border);
    border-radius: 4px;
    padding: 0 5px;
  }
  .spacer {
    flex: 1;
  }
  .spark {
    display: block;
    margin-bottom: 10px;
    background: var(--_surface);
    border-radius: 8px;
    padding: 8px 10px 6px;
  }
  .spark-head {
    display: flex;
    justify-content: space-between;
    font-size: 11px;
    color: var(--_muted);
  }
  .spark-head strong {
    color: var(--_text);
    font-size: 18px;
    font-weight: 600;
    font-variant-numeric: tabular-nums;
  }
  svg {
    display: block;
    width: 100%;
    height: var(--lmw-sparkline-height, 44px);
    overflow: visible;
  }
  .spark-line {
    fill: none;
    stroke: var(--_accent);
    stroke-width: 1.5;
    vector-effect: non-scaling-stroke;
  }
  .spark-fill {
    fill: color-mix(in srgb, var(--_accent) 14%, transparent);
    stroke: none;
  }
  dl {
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(104px, 1fr));
    gap: 8px 12px;
    margin: 0;
  }
  dl > div {
    min-width: 0;
  }
  dt {
    font-size: 11px;
    color: var(--_muted);
    white-space: nowrap;
  }
  dd {
    margin: 0;
    font-weight: 600;
    font-variant-numeric: tabular-nums;
    white-space: nowrap;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  .skeleton-block {
    height: 44px;
    margin-bottom: 10px;
  }
`;
