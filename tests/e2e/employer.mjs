// The employer's workspace and right-to-work check, in headless Chromium (Debian's chromium
// driven by playwright-core). Run by verifier/tests/browser.rs:
//
//   node employer.mjs BASE_URL OUT_DIR CONFIG_JSON
//
// CONFIG_JSON: {"admin_email","admin_password","other_email","other_password"}: the
// organisation's HR administrator, and a member of a second organisation.
//
// The administrator signs in (after a wrong password), invites a recruiter; the recruiter
// joins through the one-time link in their own browser, runs a check, confirms the photo,
// downloads the record and exports it for an inspection; the administrator reads the access
// log. An anonymous browser and the second organisation's member then get nothing from any
// of those URLs. Every page visited is checked (a11y.mjs: basics, axe-core WCAG 2.2 AA and
// best practice with no violation, reflow at 320 px).
//
// It speaks to the test over stdout, one JSON object a line:
//   {"event":"request","link":"openid4vp://..."}   the page shows the request; the wallet may answer
//   {"event":"outcome","text":"...","screenshot":"..."} the page shows the outcome
//   {"event":"done","record":"...","record_page":"...","export":"...","pages":N}
// and fails (exit 1, message on stderr) on any broken expectation.
import { chromium } from "playwright-core";
import { mkdtempSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { check } from "./a11y.mjs";

const [base, outDir, configJson] = process.argv.slice(2);
if (!base || !outDir || !configJson) {
  console.error("usage: node employer.mjs BASE_URL OUT_DIR CONFIG_JSON");
  process.exit(2);
}
const config = JSON.parse(configJson);
const say = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const fail = (m) => {
  throw new Error(m);
};
let checked = 0;
async function accessible(page, what) {
  await check(page, what);
  checked += 1;
}

const browser = await chromium.launch({
  executablePath: process.env.VOUCH_CHROMIUM || "/usr/bin/chromium",
  headless: true,
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
const person = async () => {
  const ctx = await browser.newContext({ acceptDownloads: true });
  ctx.setDefaultTimeout(30_000);
  return ctx.newPage();
};

async function signIn(page, email, password) {
  await page.goto(base + "/sign-in");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/sign-in"));
}

let code = 0;
try {
  // 1. The HR administrator: an anonymous visit goes to sign in; a wrong password shows
  //    the error pattern; then signed in.
  const admin = await person();
  await admin.goto(base + "/");
  if (!admin.url().endsWith("/sign-in")) fail(`anonymous / went to ${admin.url()}`);
  await accessible(admin, "sign-in page");
  await admin.getByLabel("Email address").fill(config.admin_email);
  await admin.getByLabel("Password").fill("not the password");
  await admin.getByRole("button", { name: "Sign in" }).click();
  await admin.locator("#error-summary").waitFor();
  if (!(await admin.title()).startsWith("Error:")) fail(`error title: ${await admin.title()}`);
  const focused = await admin.evaluate(() => document.activeElement && document.activeElement.id);
  if (focused !== "error-summary") fail(`focus on ${focused}, not the error summary`);
  await accessible(admin, "sign-in page with an error");
  await signIn(admin, config.admin_email, config.admin_password);
  await accessible(admin, "start page (administrator)");

  // 2. The administrator invites a recruiter; the one-time link shows once.
  await admin.getByRole("link", { name: "Members" }).click();
  await admin.waitForURL(/\/members$/);
  await accessible(admin, "members page");
  await admin.getByLabel("Email address").fill("rita.recruiter@employer.test");
  await admin.getByLabel("Recruiter").check();
  await admin.getByRole("button", { name: "Make an invitation link" }).click();
  const invitation = (await admin.locator("#invitation-link").innerText()).trim();
  if (!invitation.startsWith(base + "/invitations/")) fail(`invitation link: ${invitation}`);
  await accessible(admin, "members page with an invitation");

  // 3. The recruiter joins in their own browser and runs a check.
  const recruiter = await person();
  await recruiter.goto(invitation);
  await accessible(recruiter, "invitation page");
  await recruiter.getByLabel("Full name").fill("Rita Recruiter");
  await recruiter.getByLabel("Password", { exact: true }).fill("rita's long password");
  await recruiter.getByLabel("Confirm the password").fill("rita's long password");
  await recruiter.getByRole("button", { name: "Join and sign in" }).click();
  await recruiter.waitForURL(base + "/");
  await accessible(recruiter, "start page (recruiter)");
  if ((await recruiter.getByRole("link", { name: "Members" }).count()) !== 0)
    fail("a recruiter is offered the members page");
  await recruiter.getByRole("button", { name: "Start a check" }).click();
  await recruiter.waitForURL(/\/checks\/[^/]+$/);
  const checkUrl = recruiter.url();
  await accessible(recruiter, "request page");
  if ((await recruiter.locator(".qr svg").count()) !== 1) fail("the request page shows no QR code");
  const link = await recruiter.locator("#wallet-link").getAttribute("href");
  if (!link || !link.startsWith("openid4vp://")) fail(`wallet link: ${link}`);
  say({ event: "request", link, url: checkUrl });

  // 4. The page's own polling reloads it when the wallet has answered.
  await recruiter.locator("#outcome[data-outcome]").waitFor({ timeout: 60_000 });
  const outcome = await recruiter.locator("#outcome").getAttribute("data-outcome");
  if (outcome !== "passed")
    fail(`outcome ${outcome}: ${await recruiter.locator("main").innerText()}`);
  await accessible(recruiter, "outcome page");
  const text = await recruiter.locator("main").innerText();
  const portrait = await recruiter
    .locator("#portrait")
    .evaluate((img) => img.complete && img.naturalWidth);
  if (!portrait) fail("the portrait did not render");
  const shot = path.join(outDir, "outcome.png");
  await recruiter.screenshot({ path: shot, fullPage: true });
  say({ event: "outcome", text, screenshot: shot, url: checkUrl });

  // 5. The recruiter confirms the likeness, by keyboard for the radio.
  await recruiter.getByLabel("Yes, the photo is of this person").focus();
  await recruiter.keyboard.press("Space");
  if (!(await recruiter.getByLabel("Yes, the photo is of this person").isChecked()))
    fail("the likeness radio did not check from the keyboard");
  await recruiter.getByLabel("Your full name").fill("Rita Recruiter");
  await recruiter.getByRole("button", { name: "Confirm and save the record" }).click();
  await recruiter.waitForURL(/\/records\/[^/]+$/);
  const recordUrl = recruiter.url();
  await accessible(recruiter, "record page");
  const done = await recruiter.locator("#record-outcome").getAttribute("data-outcome");
  if (done !== "passed") fail(`record outcome ${done}`);
  const recordPage = await recruiter.locator("main").innerText();
  if ((await recruiter.locator("#employment-end").count()) !== 0)
    fail("a recruiter is offered the employment end date (HR administrators only)");

  // 6. The signed record downloads; the records list exports it for an inspection.
  const [download] = await Promise.all([
    recruiter.waitForEvent("download"),
    recruiter.locator("#download").click(),
  ]);
  const file = path.join(outDir, download.suggestedFilename());
  await download.saveAs(file);
  if (!statSync(file).size) fail("the downloaded record is empty");
  await recruiter.getByRole("link", { name: "Records" }).first().click();
  await recruiter.waitForURL(/\/records$/);
  await accessible(recruiter, "records page");
  const [archive] = await Promise.all([
    recruiter.waitForEvent("download"),
    recruiter.getByRole("button", { name: "Export these records" }).click(),
  ]);
  const exported = path.join(outDir, archive.suggestedFilename());
  await archive.saveAs(exported);

  // 7. The administrator reads the access log: the recruiter's view, download and export.
  await admin.goto(base + "/access-log");
  await accessible(admin, "access log page");
  const log = await admin.locator("#access-log").innerText();
  for (const want of ["Record kept", "Downloaded", "Exported for inspection", "Rita Recruiter"])
    if (!log.includes(want)) fail(`the access log lacks ${want}:\n${log}`);
  if ((await admin.locator("#chain").getAttribute("data-intact")) !== "true")
    fail("the access log's chain is broken");
  await admin.goto(recordUrl);
  await accessible(admin, "record page (administrator)");
  if ((await admin.locator("#employment-end").count()) !== 1)
    fail("the administrator is not offered the employment end date");

  // 8. Nobody else gets anything from those URLs: not an anonymous browser (sent to sign
  //    in), not a member of another organisation (not found, an empty list).
  const urls = [checkUrl, recordUrl, recordUrl + "/download", base + "/records", base + "/access-log", base + "/members"];
  const outsider = await person();
  const other = await person();
  await signIn(other, config.other_email, config.other_password);
  for (const [who, page] of [["anonymous", outsider], ["other organisation", other]]) {
    for (const url of urls) {
      const res = await page.request.get(url, { maxRedirects: 0 });
      const body = await res.text();
      if (body.includes("Lovelace")) fail(`${who} sees the person at ${url}`);
      const status = res.status();
      const allowed =
        who === "anonymous"
          ? status === 303 && res.headers()["location"] === "/sign-in"
          : status === 404 || status === 403 || (url.endsWith("/records") && status === 200);
      if (!allowed) fail(`${who} got ${status} from ${url}`);
    }
  }
  say({
    event: "done",
    record: file,
    record_page: recordPage,
    export: exported,
    pages: checked,
  });
} catch (e) {
  console.error(String(e && e.stack ? e.stack : e));
  code = 1;
} finally {
  await browser.close();
}
process.exit(code);
