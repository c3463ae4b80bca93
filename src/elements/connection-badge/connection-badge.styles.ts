import { css } from 'lit';

export const badgeStyles = css`
  :host {
    display: inline-block;
    font-size: 13px;
  }
  /* Not a size container: the badge is as wide as its content. */
  .base {
    position: relative;
    border-radius: 999px;
  }
  :host([variant='floating']) {
    position: fixed;
    right: 16px;
    bottom: 16px;
    z-index: 1000;
  }
  :host([variant='floating']) .base {
    box-shadow: 0 6px 24px rgb(0 0 0 / 0.18);
  }
  .bar {
    display: flex;
    align-items: center;
    gap: 8px;
    padding: 4px 6px 4px 12px;
    min-height: 32px;
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
    gap: 4px;
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
    min-width: 260px;
    max-width: min(420px, 90vw);
    padding: 10px 12px;
    background: var(--_bg);
    color: var(--_text);
    border: 1px solid var(--_border);
    border-radius: 10px;
    box-shadow: 0 8px 28px rgb(0 0 0 / 0.2);
  }
  :host([variant='floating']) .details {
    top: auto;
    bottom: calc(100% + 6px);
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
