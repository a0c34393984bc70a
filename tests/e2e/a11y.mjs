// Accessibility checks of the page in view, shared by the browser tests (employer.mjs,
// journey.mjs):
//
//   basics(page, what)  lang="en", exactly one h1, every form control labelled, a title
//   axe(page, what)     axe-core 4.14 (npm, tests/package.json) with the WCAG 2.0/2.1/2.2
//                       A and AA rules and best practice; returns the violations
//   reflow(page, what)  at a 320 CSS px wide viewport (WCAG 1.4.10) the page does not
//                       scroll sideways; returns the overflow in px (0 when it reflows)
//   check(page, what)   all three; throws on any failure
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const fail = (m) => {
  throw new Error(m);
};

export async function basics(page, what) {
  const a = await page.evaluate(() => {
    const controls = [...document.querySelectorAll("input, select, textarea")].filter(
      (e) => e.type !== "hidden",
    );
    const unlabelled = controls
      .filter(
        (e) =>
          !(e.labels && e.labels.length > 0 && [...e.labels].some((l) => l.textContent.trim())) &&
          !e.getAttribute("aria-label") &&
          !e.getAttribute("aria-labelledby"),
      )
      .map((e) => e.outerHTML);
    return {
      lang: document.documentElement.getAttribute("lang"),
      h1: document.querySelectorAll("h1").length,
      unlabelled,
      title: document.title,
    };
  });
  if (a.lang !== "en") fail(`${what}: <html lang="${a.lang}">, expected "en"`);
  if (a.h1 !== 1) fail(`${what}: ${a.h1} h1 elements, expected exactly one`);
  if (a.unlabelled.length) fail(`${what}: inputs without a label: ${a.unlabelled.join(" ")}`);
  if (!a.title) fail(`${what}: no <title>`);
  return a;
}

export async function axe(page, what) {
  // Evaluated through the DevTools protocol, so the page's Content-Security-Policy (which
  // allows no foreign script) does not apply to the checker.
  if (!(await page.evaluate(() => typeof window.axe === "object"))) {
    await page.evaluate(AXE_SOURCE);
  }
  const result = await page.evaluate(() =>
    window.axe.run(document, {
      runOnly: {
        type: "tag",
        values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
      },
      resultTypes: ["violations"],
    }),
  );
  return result.violations.map((v) => ({
    what,
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.html),
  }));
}

export async function reflow(page, what) {
  const size = page.viewportSize();
  await page.setViewportSize({ width: 320, height: 640 });
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  if (size) await page.setViewportSize(size);
  return overflow;
}

export async function check(page, what) {
  await basics(page, what);
  const violations = await axe(page, what);
  if (violations.length) fail(`${what}: axe violations: ${JSON.stringify(violations, null, 1)}`);
  const overflow = await reflow(page, what);
  if (overflow > 0) fail(`${what}: at 320 px wide the page scrolls sideways by ${overflow} px`);
}
