/**
 * One callback per animation frame for coalesced delivery. Uses requestAnimationFrame
 * when there is one (it does not fire in hidden tabs), else a 16 ms timeout; while the
 * page is hidden nothing is scheduled, and when it is shown again one frame runs.
 */
export class FrameScheduler {
  private scheduled = false;
  private wanted = false;
  private readonly onVisibility = () => {
    if (!isHidden() && this.wanted) this.schedule();
  };

  constructor(private readonly run: () => void) {
    if (typeof document !== 'undefined' && typeof document.addEventListener === 'function') {
      document.addEventListener('visibilitychange', this.onVisibility);
    }
  }

  /** Asks for one run on the next frame (no-op when one is already pending). */
  request(): void {
    if (this.wanted) return; // already pending, or waiting for the page to be shown
    this.wanted = true;
    if (!isHidden()) this.schedule();
  }

  dispose(): void {
    this.wanted = false;
    if (typeof document !== 'undefined' && typeof document.removeEventListener === 'function') {
      document.removeEventListener('visibilitychange', this.onVisibility);
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const fire = () => {
      this.scheduled = false;
      if (!this.wanted) return;
      if (isHidden()) return; // shown again later: onVisibility schedules one frame
      this.wanted = false;
      this.run();
    };
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(fire);
    else setTimeout(fire, 16);
  }
}

export function isHidden(): boolean {
  return typeof document !== 'undefined' && document.visibilityState === 'hidden';
}
