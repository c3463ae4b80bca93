/**
 * Keeps a popup panel inside the viewport: flips it to the other side of its anchor when
 * it does not fit vertically (and the other side has more room), then shifts it sideways
 * so both its edges stay `margin` px inside. Measured with getBoundingClientRect, applied
 * as a class and a `translate`, so the panel's CSS still decides the default placement.
 */
export function placeInViewport(panel: HTMLElement, anchor: DOMRect, opensUp: boolean, margin = 8): void {
  panel.classList.remove('flipped');
  panel.style.translate = '';
  const viewportWidth = document.documentElement.clientWidth || window.innerWidth;
  const viewportHeight = window.innerHeight;
  let rect = panel.getBoundingClientRect();
  const roomBelow = viewportHeight - anchor.bottom;
  const roomAbove = anchor.top;
  const overflows = opensUp ? rect.top < margin : rect.bottom > viewportHeight - margin;
  if (overflows && (opensUp ? roomBelow > roomAbove : roomAbove > roomBelow)) {
    panel.classList.add('flipped');
    rect = panel.getBoundingClientRect();
  }
  let dx = 0;
  if (rect.right > viewportWidth - margin) dx = viewportWidth - margin - rect.right;
  if (rect.left + dx < margin) dx = margin - rect.left; // a panel wider than the viewport keeps its start visible
  if (dx !== 0) panel.style.translate = `${Math.round(dx)}px 0`;
}
