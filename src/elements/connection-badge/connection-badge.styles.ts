import { css } from 'lit';

export const badgeStyles = css`
  :host {
    display: inline-block;
    font-size: 13px;
  }
  /*
   * Not a size container: the badge is as wide as its content. The base is only the reserved
   * box; the pill is the bar (so the reserved room stays clear), hence no box of its own.
   */
  .base {
    position: relative;
    max-width: 100%;
    background: none;
    border: 0;
    border-radius: 0;
  }
  :host([variant='floating']) {
    position: fixed;
    right: 16px;
    bottom: 16px;
    z-index: 1000;
  }
  :host([variant='floating']) .bar {
    box-shadow: 0 6px 24px rgb(0 0 0 / 0.18);
  }
  /* The bar and its invisible widest copy share one grid cell: the cell is as wide as the widest. */
  .wrap {
    display: grid;
  }
  .wrap > .bar {
    grid-area: 1 / 1;
  }
  .bar {
    display: flex;
    align-items: center;
    justify-self: end;
    align-self: center; /* the sizer may need more rows than this state: no stretched pill */
    gap: 8px;
    padding: 4px 6px 4px 12px;
    min-height: 32px;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: 16px;
    /* Too narrow for one row: wrap. The sizer wraps the same way, so the height is reserved too. */
    flex-wrap: wrap;
  }
  .sizer {
    visibility: hidden;
    pointer-events: none;
  }
  .stack {
    display: inline-grid;
  }
  .stack > * {
    grid-area: 1 / 1;
  }
  /* Sized like the buttons (theme button rule), so the sizer is exactly the widest bar. */
  .btn {
    font-size: 12px;
    padding: 3px 10px;
    border: 1px solid transparent;
    white-space: nowrap;
  }
  .btn.toggle {
    padding: 3px 8px;
  }
  :host([variant='compact']) .bar {
    gap: 6px;
    padding: 2px 4px 2px 8px;
    min-height: 26px;
    font-size: 12px;
  }
  .dot {
    width: 9px;
    height: 9px;
    border-radius: 50%;
    flex: none;
    background: var(--_muted);
  }
  .dot.good {
    background: var(--_up);
    box-shadow: 0 0 0 3px color-mix(in srgb, var(--_up) 22%, transparent);
  }
  .dot.warn {
    background: var(--_warn);
    animation: lmw-pulse 1.2s ease-in-out infinite;
  }
  .dot.bad {
    background: var(--_down);
  }
  @keyframes lmw-pulse {
    50% {
      opacity: 0.35;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .dot.warn {
      animation: none;
    }
  }
  .label {
    font-weight: 600;
    white-space: nowrap;
  }
  .controls {
    display: flex;
    flex-wrap: wrap;
    gap: 4px;
  }
  .controls button {
    white-space: nowrap;
  }
  button {
    border-radius: 999px;
  }
  button[aria-expanded] {
    padding: 3px 8px;
  }
  .details {
    position: absolute;
    top: calc(100% + 6px);
    right: 0;
    z-index: 10;
    min-width: min(260px, calc(100vw - 16px));
    max-width: min(420px, calc(100vw - 16px));
    max-height: calc(100vh - 16px);
    overflow: auto;
    padding: 10px 12px;
    background: var(--_bg);
    color: var(--_text);
    border: 1px solid var(--_border);
    border-radius: 10px;
    box-shadow: 0 8px 28px rgb(0 0 0 / 0.2);
  }
  /* Below the badge by default, above when floating; 'flipped' (set when it would not fit) swaps. */
  :host([variant='floating']) .details,
  .details.flipped {
    top: auto;
    bottom: calc(100% + 6px);
  }
  :host([variant='floating']) .details.flipped {
    top: calc(100% + 6px);
    bottom: auto;
  }
  .details dl {
    display: grid;
    grid-template-columns: auto 1fr;
    gap: 4px 12px;
    margin: 0;
    font-size: 12px;
  }
  .details dt {
    color: var(--_muted);
  }
  .details dd {
    margin: 0;
    font-variant-numeric: tabular-nums;
    overflow-wrap: anywhere;
  }
`;
