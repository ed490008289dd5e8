import { useLocation } from "@remix-run/react";
import { useEffect, useRef } from "react";

/**
 * After a client-side navigation the browser keeps focus on the link or button
 * that started it (or drops it to the body once that element is gone), so a
 * screen reader says nothing about the new page. Move focus to the new page's
 * heading, as a full page load would bring the reader to the top.
 *
 * Focus already inside the main content is left where it is: the error summary
 * takes it after a refused form, a filter form keeps it on its button. Moves
 * within a page (skip links, error summary links) change only the hash.
 */
export function useFocusOnNavigation(mainId: string) {
  const location = useLocation();
  const previous = useRef<{ pathname: string; search: string } | null>(null);
  useEffect(() => {
    const before = previous.current;
    previous.current = { pathname: location.pathname, search: location.search };
    if (before === null) return;
    if (before.pathname === location.pathname && before.search === location.search) return;
    const main = document.getElementById(mainId);
    if (!main) return;
    const active = document.activeElement;
    if (active && active !== document.body && main.contains(active)) return;
    const target = main.querySelector<HTMLElement>("h1") ?? main;
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus();
  }, [location, mainId]);
}
