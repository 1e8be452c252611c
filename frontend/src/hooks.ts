import { useEffect, useRef, type RefObject } from "react";

export function useDocumentTitle(title: string) {
  useEffect(() => {
    document.title = title ? `${title} · Project Connect` : "Project Connect";
  }, [title]);
}

/**
 * One AbortController per attempt: `next()` gives a fresh signal for a request (giving up
 * on the previous one), `abort()` gives up on the running one (a dialog closed meanwhile).
 */
export function useAbortable() {
  const controller = useRef<AbortController | null>(null);
  return {
    next(): AbortSignal {
      controller.current?.abort();
      controller.current = new AbortController();
      return controller.current.signal;
    },
    abort(): void {
      controller.current?.abort();
      controller.current = null;
    },
  };
}

/**
 * Calls load() when the element scrolls into view (within a screen of it), for lists that
 * load their next page as the person scrolls; a button in that element stays the way in
 * for keyboards and for browsers without IntersectionObserver.
 */
export function useLoadWhenVisible(ref: RefObject<HTMLElement | null>, enabled: boolean, load: () => void) {
  const loadRef = useRef(load);
  useEffect(() => {
    loadRef.current = load;
  });
  useEffect(() => {
    const element = ref.current;
    if (!enabled || !element || typeof IntersectionObserver === "undefined") return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) loadRef.current();
      },
      { rootMargin: "0px 0px 100% 0px" },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref, enabled]);
}
