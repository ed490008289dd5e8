import type { Page } from "@playwright/test";

/**
 * Presses Alt+<key> the way a physical keyboard on Linux does: a raw key-down
 * followed by a `char` event with Alt held. Chromium looks up access keys on
 * the `char` event; Playwright's `keyboard.press("Alt+U")` sends no `char`
 * when a modifier other than Shift is down, so it never reaches that code.
 */
export async function pressAccessKey(page: Page, key: string): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  const ALT = 1;
  const upper = key.toUpperCase();
  const base = { modifiers: ALT, key: key.toLowerCase(), code: `Key${upper}`, windowsVirtualKeyCode: upper.charCodeAt(0) };
  try {
    await cdp.send("Input.dispatchKeyEvent", { type: "rawKeyDown", ...base });
    await cdp.send("Input.dispatchKeyEvent", { type: "char", ...base, text: key.toLowerCase(), unmodifiedText: key.toLowerCase() });
    await cdp.send("Input.dispatchKeyEvent", { type: "keyUp", ...base });
  } finally {
    await cdp.detach();
  }
}
