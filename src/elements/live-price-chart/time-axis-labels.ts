/**
 * Keeps the chart's time-axis labels whole. lightweight-charts centres each tick label on its
 * tick and moves it inside the axis only next to a fixed edge (`fixLeftEdge` with the first bar
 * in view), so once the chart has scrolled or resized the leftmost (or rightmost) label is drawn
 * half outside the axis and comes out cut ("0:45" for "10:45"). A cut label reads as a wrong
 * time; we skip it instead, as the next label to the right is whole.
 *
 * The library has no option for this, so we wrap `fillText` of the one canvas that draws the tick
 * labels: the first canvas of the time axis row (the table's last row, second cell). The test that
 * keeps this honest is test/elements/time-axis-labels.test.ts.
 */

const wrapped = new WeakSet<CanvasRenderingContext2D>();

/**
 * Finds the time axis canvas of the chart drawn in `container` and makes it skip labels that would
 * not fit. Returns false when the chart's DOM is not what this expects (then labels stay as drawn).
 */
export function keepTimeLabelsWhole(container: HTMLElement): boolean {
  const timeAxisRow = container.querySelector('table')?.lastElementChild;
  const canvas = timeAxisRow?.children[1]?.querySelector('canvas');
  if (!(canvas instanceof HTMLCanvasElement)) return false;
  const getContext = canvas.getContext;
  // Wrap the context when the library asks for it, so its context options (colour space) still apply.
  canvas.getContext = function (this: HTMLCanvasElement, ...args: Parameters<HTMLCanvasElement['getContext']>) {
    const context = getContext.apply(this, args);
    if (context instanceof CanvasRenderingContext2D) skipCutLabels(context, canvas);
    return context;
  } as HTMLCanvasElement['getContext'];
  return true;
}

function skipCutLabels(context: CanvasRenderingContext2D, canvas: HTMLCanvasElement): void {
  if (wrapped.has(context)) return;
  wrapped.add(context);
  const fillText = context.fillText;
  context.fillText = function (this: CanvasRenderingContext2D, text: string, x: number, y: number, maxWidth?: number) {
    // Tick labels are the only centred text on this canvas, drawn in CSS pixels (media space).
    if (this.textAlign === 'center') {
      const half = this.measureText(text).width / 2;
      if (x - half < 0 || x + half > canvas.clientWidth) return;
    }
    if (maxWidth === undefined) fillText.call(this, text, x, y);
    else fillText.call(this, text, x, y, maxWidth);
  };
}
