import { css } from 'lit';

export const pnlStyles = css`
  :host {
    display: block;
  }
  .base {
    overflow: hidden;
    /* Sized by its container (see the @container rules); in a shrink-to-fit parent it takes this. */
    container-type: inline-size;
    contain-intrinsic-inline-size: 320px;
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
  /* Four tiles in a row, two, or one under ~300 px: never narrower than 128 px. */
  dl.totals {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(min(100%, 128px), 1fr));
    gap: 8px;
    margin: 8px 14px 12px;
  }
  dl.totals > div {
    background: var(--_surface);
    border-radius: 8px;
    padding: 8px 10px;
    min-width: 0;
    /* Each tile is a container: its figure's font follows the tile's width (cqi). */
    container-type: inline-size;
  }
  dt {
    font-size: 11px;
    text-transform: uppercase;
    letter-spacing: 0.05em;
    color: var(--_muted);
  }
  /* A figure is never cut or broken: it shrinks with its tile (about 14 characters fit at
     11.5cqi), down to 12 px. */
  dd {
    margin: 2px 0 0;
    font-size: clamp(12px, 11.5cqi, 17px);
    font-weight: 600;
    font-variant-numeric: tabular-nums;
    white-space: nowrap;
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
  /* Narrower than its columns, the table scrolls sideways with the symbol column held in
     place (docs/elements.md says why this layout). Columns size to their content (auto
     layout), so no header, symbol or figure is cut; cells never wrap. */
  table {
    width: 100%;
    border-collapse: separate;
    border-spacing: 0;
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
    position: sticky;
    left: 0;
    z-index: 1;
    background: var(--_bg);
  }
  th:first-child {
    z-index: 2;
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
  /* An account not published yet: said above the skeleton, which stays. */
  .waiting {
    margin: 8px 14px 0;
    font-size: 0.9em;
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
  @container (max-width: 560px) {
    .header {
      padding-inline: 10px;
    }
    dl.totals {
      margin-inline: 10px;
    }
    th button,
    td {
      padding-inline: 6px;
    }
    /* The held symbol column: a rule shows where the scrolled columns pass under it. */
    th:first-child,
    td:first-child {
      box-shadow: inset -1px 0 0 var(--_border);
    }
  }
`;
