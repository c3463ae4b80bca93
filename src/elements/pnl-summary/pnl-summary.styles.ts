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
  table {
    width: 100%;
    border-collapse: collapse;
    font-variant-numeric: tabular-nums;
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
  /* A changed cell flashes: a tinted overlay fades out. Only its opacity animates, which
     the compositor runs without style recalc or paint on the main thread each frame
     (animating background-color made 100+ cells cost a third of every second). Two
     identical animations so that a later change restarts the flash (the name changes). */
  td.num {
    position: relative;
  }
  td.num::after {
    content: '';
    position: absolute;
    inset: 0;
    pointer-events: none;
    opacity: 0;
  }
  .flash-up-0::after,
  .flash-up-1::after {
    background: color-mix(in srgb, var(--_up) 11%, transparent);
  }
  .flash-down-0::after,
  .flash-down-1::after {
    background: color-mix(in srgb, var(--_down) 11%, transparent);
  }
  .flash-up-0::after,
  .flash-down-0::after {
    animation: lmw-flash-0 0.6s ease-out;
  }
  .flash-up-1::after,
  .flash-down-1::after {
    animation: lmw-flash-1 0.6s ease-out;
  }
  @keyframes lmw-flash-0 { from { opacity: 1; } to { opacity: 0; } }
  @keyframes lmw-flash-1 { from { opacity: 1; } to { opacity: 0; } }
  @media (prefers-reduced-motion: reduce) {
    td.num::after {
      animation: none !important;
    }
  }
`;
