// The whole right-to-work journey of `vouch up`, in headless Chromium (Debian's chromium
// driven by playwright-core). Run by cli/tests/up_journey.rs:
//
//   node journey.mjs READY_JSON OUT_DIR
//
// READY_JSON is the `ready.json` that `vouch up` writes (URLs, the citizen's offer link and
// transaction code, the employer's HR administrator's invitation link). Every page visited
// passes a11y.mjs (axe-core with no violation, reflow at 320 px). The script speaks to the test over stdout, one JSON object a line, and
// waits on stdin where the test acts outside the browser:
//   {"event":"issued","types":[...],"screenshot":"..."}          the wallet holds the credentials
//   {"event":"consent","text":"...","claims":[...],"screenshot":"..."}  the consent screen
//   {"event":"passed","text":"...","record":"...","screenshot":"..."}   first check passed, record saved
//   {"event":"suspend"}   then waits for one line on stdin: the test has suspended the
//                         provider's certificate and the verifier has the new register
//   {"event":"failed","code":"...","text":"...","screenshot":"..."}     the new check failed
//   {"event":"done","activity":[...],"screenshot":"..."}
// and fails (exit 1, message on stderr) on any broken expectation.
import { chromium } from "playwright-core";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { check } from "./a11y.mjs";

const [readyFile, outDir] = process.argv.slice(2);
if (!readyFile || !outDir) {
  console.error("usage: node journey.mjs READY_JSON OUT_DIR");
  process.exit(2);
}
const ready = JSON.parse(readFileSync(readyFile, "utf8"));
const say = (o) => process.stdout.write(JSON.stringify(o) + "\n");
const fail = (m) => {
  throw new Error(m);
};
const stdin = readline.createInterface({ input: process.stdin });
const lines = stdin[Symbol.asyncIterator]();

// Every page visited: the basics, axe-core (WCAG 2.2 AA and best practice) with no
// violation of any impact, and reflow at 320 px (a11y.mjs).
let checked = 0;
async function accessible(page, what) {
  await check(page, what);
  checked += 1;
}

async function shot(page, name) {
  const p = path.join(outDir, name);
  await page.screenshot({ path: p, fullPage: true });
  return p;
}

// The employer starts a check; the citizen opens the page's wallet link in the web wallet
// (as a phone would on the same device), reviews the consent screen and shares.
async function runCheck(employer, wallet, n) {
  await employer.goto(ready.verifier_url + "/");
  await accessible(employer, "employer start page");
  await employer.getByRole("button", { name: "Start a check" }).click();
  await employer.waitForURL(/\/checks\/[^/]+$/);
  const link = await employer.locator("#wallet-link").getAttribute("href");
  if (!link || !link.startsWith("openid4vp://")) fail(`wallet link: ${link}`);

  await wallet.goto(ready.wallet_url + "/");
  if (n === 1) {
    // The first time, the citizen scans the employer's QR code with the camera (a fake
    // camera that films the code on the employer's page; jsQR decodes it, as headless
    // Chromium on Linux has no BarcodeDetector).
    await filmQr(employer, cameraFile);
    await accessible(wallet, "wallet home (scanner shown)");
    await wallet.locator('button[aria-controls="scan-request"]').click();
    await wallet.waitForURL(/\/present\?request=/, { timeout: 30_000 });
    await accessible(wallet, "request link page");
  } else {
    // Pasting the link stays.
    await wallet.getByLabel("Presentation request link").fill(link);
  }
  await wallet.getByRole("button", { name: "Open the request" }).click();
  await wallet.waitForURL(/\/consent\/[^/]+$/);
  await accessible(wallet, "consent screen");
  const consentText = await wallet.locator("main").innerText();
  const claims = await wallet
    .locator("#requested-claims tr[data-claim]")
    .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-claim")));
  const finding = await wallet.locator("#finding").count();
  const consentShot = await shot(wallet, `consent-${n}.png`);
  say({ event: "consent", n, text: consentText, claims, finding, screenshot: consentShot });
  await wallet.getByRole("button", { name: "Share" }).click();
  await wallet.locator("#result").waitFor();
  const result = await wallet.locator("#result").getAttribute("data-result");
  if (result !== "shared") fail(`the wallet says ${result}: ${await wallet.locator("main").innerText()}`);
  await accessible(wallet, "shared page");

  // The employer's page polls (or the person follows the wallet's continue link).
  await employer.locator("#outcome[data-outcome]").waitFor({ timeout: 60_000 });
  return employer.locator("#outcome").getAttribute("data-outcome");
}

// The fake camera's film (YUV4MPEG2, 4:2:0): white until filmQr puts a QR code in it.
const FILM = 480;
function writeFilm(file, luma) {
  const header = Buffer.from(`YUV4MPEG2 W${FILM} H${FILM} F10:1 Ip A1:1 C420jpeg\n`);
  const chroma = Buffer.alloc((FILM / 2) * (FILM / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from("FRAME\n"), luma, chroma]);
  writeFileSync(file, Buffer.concat([header, ...Array(10).fill(frame)]));
}
// Films the QR code the employer's page shows (its SVG drawn large on white).
async function filmQr(employer, file) {
  const rgba = await employer.locator(".qr svg").evaluate(async (svg, size) => {
    const img = new Image();
    img.src =
      "data:image/svg+xml;charset=utf-8," + encodeURIComponent(new XMLSerializer().serializeToString(svg));
    await img.decode();
    const c = document.createElement("canvas");
    c.width = size;
    c.height = size;
    const g = c.getContext("2d");
    g.fillStyle = "#fff";
    g.fillRect(0, 0, size, size);
    g.drawImage(img, 40, 40, size - 80, size - 80);
    return Array.from(g.getImageData(0, 0, size, size).data);
  }, FILM);
  const luma = Buffer.alloc(FILM * FILM);
  for (let i = 0; i < FILM * FILM; i++)
    luma[i] = Math.round(0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]);
  writeFilm(file, luma);
}
const cameraFile = path.join(outDir, "camera.y4m");
writeFilm(cameraFile, Buffer.alloc(FILM * FILM, 255));

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
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    `--use-file-for-fake-video-capture=${cameraFile}`,
  ],
});
ctx.setDefaultTimeout(30_000);
let code = 0;
try {
  const wallet = ctx.pages()[0] ?? (await ctx.newPage());
  const employer = await ctx.newPage();

  // 0. The employer's HR administrator joins through the one-time link `vouch up` printed
  //    (or, on a later start, signs in).
  if (!ready.employer_admin_invitation) fail("ready.json has no employer_admin_invitation");
  await employer.goto(ready.employer_admin_invitation);
  await accessible(employer, "employer invitation page");
  await employer.getByLabel("Full name").fill("Harriet Admin");
  await employer.getByLabel("Password", { exact: true }).fill("the administrator's password");
  await employer.getByLabel("Confirm the password").fill("the administrator's password");
  await employer.getByRole("button", { name: "Join and sign in" }).click();
  await employer.waitForURL(ready.verifier_url + "/");

  // 1. The citizen follows the identity provider's link into the wallet and types the code.
  await wallet.goto(ready.citizen_link);
  await accessible(wallet, "offer page");
  const offered = await wallet.locator("#offered").innerText();
  if (!/Right to work/.test(offered) || !/PID/.test(offered)) fail(`offered: ${offered}`);
  if (ready.tx_code) await wallet.getByLabel("Transaction code").fill(ready.tx_code);
  await wallet.getByRole("button", { name: "Add to wallet" }).click();
  await wallet.locator("#received").waitFor();
  await accessible(wallet, "credentials added page");
  await wallet.goto(ready.wallet_url + "/");
  await accessible(wallet, "wallet home");
  const types = await wallet
    .locator("#credentials tr[data-type]")
    .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-type")));
  say({ event: "issued", types, screenshot: await shot(wallet, "wallet.png") });

  // 2. The employer's first check passes; the employer confirms the likeness and keeps the record.
  const first = await runCheck(employer, wallet, 1);
  if (first !== "passed") fail(`first check ${first}: ${await employer.locator("main").innerText()}`);
  await accessible(employer, "outcome page");
  const passedText = await employer.locator("main").innerText();
  const passedShot = await shot(employer, "outcome-passed.png");
  await employer.getByLabel("Yes, the photo is of this person").check();
  await employer.getByLabel("Your full name").fill("Grace Hopper");
  await employer.getByRole("button", { name: "Confirm and save the record" }).click();
  await employer.waitForURL(/\/records\/[^/]+$/);
  await accessible(employer, "record page");
  const [download] = await Promise.all([
    employer.waitForEvent("download"),
    employer.locator("#download").click(),
  ]);
  const record = path.join(outDir, download.suggestedFilename());
  await download.saveAs(record);
  if (!statSync(record).size) fail("the downloaded record is empty");
  say({ event: "passed", text: passedText, record, screenshot: passedShot });

  // 3. The regulator's side suspends the provider's certificate (the test does it).
  say({ event: "suspend" });
  const go = await lines.next();
  if (go.done) fail("the test closed stdin before the suspension");

  // 4. A new check fails, with the reason on the employer's page.
  const second = await runCheck(employer, wallet, 2);
  if (second !== "failed") fail(`second check ${second}: ${await employer.locator("main").innerText()}`);
  await accessible(employer, "failed outcome page");
  const failure = employer.locator("#failure");
  say({
    event: "failed",
    code: await failure.getAttribute("data-code"),
    text: await employer.locator("main").innerText(),
    screenshot: await shot(employer, "outcome-failed.png"),
  });

  // 5. The citizen reads the activity log.
  await wallet.goto(ready.wallet_url + "/activity");
  await accessible(wallet, "activity log");
  const activity = await wallet
    .locator("#activity tr[data-outcome]")
    .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-outcome")));
  say({
    event: "done",
    activity,
    pages: checked,
    screenshot: await shot(wallet, "activity.png"),
  });
} catch (e) {
  console.error(String(e && e.stack ? e.stack : e));
  code = 1;
} finally {
  await ctx.close();
  stdin.close();
}
process.exit(code);
