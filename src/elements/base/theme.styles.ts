import { css } from 'lit';

/**
 * Shared host styles. Each public `--lmw-*` property feeds a private `--_*` one,
 * so a page can theme every element from any ancestor (or per element), and the
 * built-in values apply only where the page sets nothing. Each built-in value is
 * `light-dark(light, dark)`: `color-scheme` picks one (`auto` follows
 * `prefers-color-scheme`). Canvas code must read a resolved colour, not `--_*`
 * (whose computed value is the `light-dark(…)` text): see `resolveColor`.
 */
export const themeStyles = css`
  :host {
    --_up: var(--lmw-up, light-dark(#0a6e44, #3ccf86));
    --_down: var(--lmw-down, light-dark(#b8232f, #ff6b72));
    --_text: var(--lmw-text, light-dark(#18202c, #e4eaf2));
    --_muted: var(--lmw-muted, light-dark(#556274, #93a1b3));
    --_bg: var(--lmw-bg, light-dark(#ffffff, #121924));
    --_surface: var(--lmw-surface, light-dark(#f4f6f9, #1a2330));
    --_border: var(--lmw-border, light-dark(#d9dfe7, #283445));
    --_grid: var(--lmw-grid, light-dark(#edf0f4, #1d2734));
    --_accent: var(--lmw-accent, light-dark(#2557d6, #6ea2ff));
    --_warn: var(--lmw-warn, light-dark(#8a5a00, #f2b84b));
    --_font: var(--lmw-font, system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif);
    --_radius: var(--lmw-radius, 10px);
    color-scheme: light dark;
    box-sizing: border-box;
    color: var(--_text);
    font-family: var(--_font);
    font-size: 14px;
    line-height: 1.4;
  }
  /* The element's box and layout live on its own wrapper, not on the host: a page may set
     any display on the host (block, flex, contents, a grid item…) without breaking them. */
  .base {
    box-sizing: border-box;
    inline-size: 100%;
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
  }
  :host([hidden]) {
    display: none !important;
  }
  :host([theme='light']) {
    color-scheme: light;
  }
  :host([theme='dark']) {
    color-scheme: dark;
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  .up {
    color: var(--_up);
  }
  .down {
    color: var(--_down);
  }
  .muted {
    color: var(--_muted);
  }
  .num {
    font-variant-numeric: tabular-nums;
  }
  button {
    font: inherit;
    font-size: 12px;
    color: var(--_text);
    background: var(--_surface);
    border: 1px solid var(--_border);
    border-radius: 6px;
    padding: 3px 10px;
    cursor: pointer;
  }
  button:hover {
    border-color: var(--_muted);
  }
  button:focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    padding: 0;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
    border: 0;
  }
  /* State notices: a marker on stale data, a message on error. */
  .notice {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    font-size: 12px;
    padding: 2px 8px;
    border-radius: 999px;
    border: 1px solid currentColor;
    white-space: nowrap;
  }
  .notice.stale {
    color: var(--_warn);
  }
  .error-box {
    display: flex;
    flex-direction: column;
    align-items: center;
    justify-content: center;
    gap: 4px;
    padding: 16px;
    text-align: center;
    color: var(--_down);
    overflow-wrap: anywhere;
  }
  .error-box .error-title {
    font-weight: 600;
  }
  .error-box .error-message {
    color: var(--_text);
    font-size: 13px;
  }
  .skeleton {
    border-radius: 6px;
    background: linear-gradient(90deg, var(--_surface) 25%, var(--_grid) 50%, var(--_surface) 75%);
    background-size: 200% 100%;
    animation: lmw-shimmer 1.4s ease-in-out infinite;
  }
  @keyframes lmw-shimmer {
    from {
      background-position: 100% 0;
    }
    to {
      background-position: -100% 0;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .skeleton {
      animation: none;
    }
  }
`;
