import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";

/** The tags of Taiwan's accessibility rules as we apply them: WCAG 2.2 AA. */
const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/** Fails with the rule ids and the elements concerned, so a failure says what to fix. */
export async function expectNoAxeViolations(page: Page, context = ""): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  const violations = results.violations.map((violation) => ({
    rule: violation.id,
    impact: violation.impact,
    help: violation.help,
    targets: violation.nodes.map((node) => node.target.join(" ")),
  }));
  expect(violations, `axe violations ${context} at ${page.url()}`).toEqual([]);
}
