// The employer's side of the right-to-work check, in headless Chromium (Debian's chromium
// driven by playwright-core). Run by verifier/tests/browser.rs:
//
//   node employer.mjs BASE_URL OUT_DIR
//
// It speaks to the test over stdout, one JSON object a line:
//   {"event":"request","link":"openid4vp://..."}   the page shows the request; the wallet may answer
//   {"event":"outcome","text":"...","screenshot":"..."} the page shows the outcome
//   {"event":"done","record":"...","record_page":"..."} the record was downloaded to OUT_DIR
// and fails (exit 1, message on stderr) on any broken expectation.
import { chromium } from "playwright-core";
import { mkdtempSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const [base, outDir] = process.argv.slice(2);
if (!base || !outDir) {
  console.error("usage: node employer.mjs BASE_URL OUT_DIR");
  process.exit(2);
}
const say = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const fail = (m) => {
  throw new Error(m);
};

// Accessibility basics of the page in view: lang="en", exactly one h1, every form control
// labelled (hidden inputs carry no UI and are left out).
async function accessible(page, what) {
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
      controls: controls.length,
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

const profile = mkdtempSync(path.join(os.tmpdir(), "vouch-chromium-"));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.VOUCH_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  acceptDownloads: true,
  args: [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
ctx.setDefaultTimeout(30_000);
let code = 0;
try {
  const page = ctx.pages()[0] ?? (await ctx.newPage());

  // 1. The start page; the employer starts a check.
  await page.goto(base + "/");
  await accessible(page, "start page");
  await page.getByRole("button", { name: "Start a check" }).click();
  await page.waitForURL(/\/checks\/[^/]+$/);

  // 2. The request: a QR code and a same-device link; hand the link to the wallet.
  await accessible(page, "request page");
  if ((await page.locator(".qr svg").count()) !== 1) fail("the request page shows no QR code");
  const link = await page.locator("#wallet-link").getAttribute("href");
  if (!link || !link.startsWith("openid4vp://")) fail(`wallet link: ${link}`);
  say({ event: "request", link, url: page.url() });

  // 3. The page's own polling reloads it when the wallet has answered.
  await page.locator("#outcome[data-outcome]").waitFor({ timeout: 60_000 });
  const outcome = await page.locator("#outcome").getAttribute("data-outcome");
  if (outcome !== "passed") fail(`outcome ${outcome}: ${await page.locator("main").innerText()}`);
  await accessible(page, "outcome page");
  const text = await page.locator("main").innerText();
  const portrait = await page.locator("#portrait").evaluate((img) => img.complete && img.naturalWidth);
  if (!portrait) fail("the portrait did not render");
  const shot = path.join(outDir, "outcome.png");
  await page.screenshot({ path: shot, fullPage: true });
  say({ event: "outcome", text, screenshot: shot, url: page.url() });

  // 4. The employer confirms the likeness, by keyboard for the radio (it must be reachable).
  await page.getByLabel("Yes, the photo is of this person").focus();
  await page.keyboard.press("Space");
  if (!(await page.getByLabel("Yes, the photo is of this person").isChecked()))
    fail("the likeness radio did not check from the keyboard");
  await page.getByLabel("Your full name").fill("Grace Hopper");
  await page.getByRole("button", { name: "Confirm and save the record" }).click();
  await page.waitForURL(/\/records\/[^/]+$/);
  await accessible(page, "record page");
  const done = await page.locator("#record-outcome").getAttribute("data-outcome");
  if (done !== "passed") fail(`record outcome ${done}`);
  const recordPage = await page.locator("main").innerText();

  // 5. The signed record downloads.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.locator("#download").click(),
  ]);
  const file = path.join(outDir, download.suggestedFilename());
  await download.saveAs(file);
  if (!statSync(file).size) fail("the downloaded record is empty");
  say({ event: "done", record: file, record_page: recordPage, url: page.url() });
} catch (e) {
  console.error(String(e && e.stack ? e.stack : e));
  code = 1;
} finally {
  await ctx.close();
}
process.exit(code);
