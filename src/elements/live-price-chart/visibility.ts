/**
 * Whether each chart is near the viewport. One observer for every chart on the page; a
 * chart more than a screen away from view (scrolled off, inside a `display: none` tab)
 * stops drawing. Its data, header and events stay live.
 */
const VISIBILITY_MARGIN = '100% 0px';
let visibilityObserver: IntersectionObserver | undefined;
const visibilityListeners = new WeakMap<Element, (onScreen: boolean) => void>();

export function observeVisibility(element: Element, listener: (onScreen: boolean) => void): void {
  if (typeof IntersectionObserver === 'undefined') return; // no observer: always draw
  visibilityObserver ??= new IntersectionObserver(
    (entries) => {
      for (const entry of entries) visibilityListeners.get(entry.target)?.(entry.isIntersecting);
    },
    { rootMargin: VISIBILITY_MARGIN },
  );
  visibilityListeners.set(element, listener);
  visibilityObserver.observe(element);
}

export function unobserveVisibility(element: Element): void {
  visibilityListeners.delete(element);
  visibilityObserver?.unobserve(element);
}
