import { css } from 'lit';

export const pnlStyles = css`
  :host {
    display: block;
    overflow: hidden;
  }
  .header {
    display: flex;
    align-items: center;
    gap: 8px 12px;
    flex-wrap: wrap;
    padding: 12px 14px 4px;
  }
  .title {
    font-weight: 650;
    font-size: 15px;
    overflow-wrap: anywhere;
  }
  .spacer {
    flex: 1;
  }
  dl.totals {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(120px, 1fr));
    gap: 8px;
    margin: 8px 14px 12px;
  }
  dl.totals > div {
    background: var(--_surface);
    border-radius: 8px;
    padding: 8px 10px;
    min-width: 0;
  }
  dt {
    font-size: 11px;
    text-transform: uppercase;
    letter-spacing: 0.05em;
    color: var(--_muted);
  }
  dd {
    margin: 2px 0 0;
    font-size: 17px;
    font-weight: 600;
    font-variant-numeric: tabular-nums;
    white-space: nowrap;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  .table-wrap {
    overflow: auto;
    max-height: var(--lmw-table-max-height, none);
  }
  .table-wrap {
    contain: content;
    /* Out of view the browser skips the table's style, layout and paint; the rows stay in
       the DOM and the accessibility tree, up to date. */
    content-visibility: auto;
    contain-intrinsic-size: auto 480px;
  }
  table {
    width: 100%;
    border-collapse: collapse;
    font-variant-numeric: tabular-nums;
    table-layout: fixed;
  }
  th {
    position: sticky;
    top: 0;
    background: var(--_bg);
    text-align: right;
    font-weight: 500;
    padding: 0;
    border-bottom: 1px solid var(--_border);
    white-space: nowrap;
  }
  th:first-child,
  td:first-child {
    text-align: left;
  }
  th button {
    width: 100%;
    text-align: inherit;
    background: none;
    border: 0;
    border-radius: 4px;
    padding: 6px 10px;
    color: var(--_muted);
    font-size: 11px;
    text-transform: uppercase;
    letter-spacing: 0.05em;
  }
  th[aria-sort] button {
    color: var(--_text);
  }
  td {
    padding: 5px 10px;
    text-align: right;
    border-bottom: 1px solid var(--_grid);
    white-space: nowrap;
  }
  td.symbol {
    font-weight: 600;
    overflow-wrap: anywhere;
    white-space: normal;
  }
  tbody tr:last-child td {
    border-bottom: 0;
  }
  .empty {
    text-align: center;
    color: var(--_muted);
    padding: 16px;
  }
  .skeleton-row {
    height: 16px;
    margin: 10px 14px;
  }
  /* A changed cell flashes: its background is tinted for one table render (the element
     switches the class on and off). No CSS animation and no overlay on purpose: a running
     animation costs style work on every frame, and an overlay per cell costs layout. */
  td.flash-up {
    background-color: color-mix(in srgb, var(--_up) 14%, transparent);
  }
  td.flash-down {
    background-color: color-mix(in srgb, var(--_down) 14%, transparent);
  }
  @media (prefers-reduced-motion: reduce) {
    td.flash-up,
    td.flash-down {
      background-color: transparent;
    }
  }
`;
