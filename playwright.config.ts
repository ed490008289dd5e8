import { existsSync } from "node:fs";
import { defineConfig, devices } from "@playwright/test";
import { CAMERA_FILES } from "./e2e/support/camera-fixtures";

/**
 * End-to-end tests against the production build, in the machine's own
 * Chromium. Browsers are never downloaded: set CHROMIUM_PATH, or install
 * Debian's chromium (`.ci/run` does).
 */
const PORT = Number(process.env.E2E_PORT ?? 3210);
const BASE_URL = `http://127.0.0.1:${PORT}`;

function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter(Boolean) as string[];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) {
    throw new Error(
      "No Chromium found for the e2e tests. Install it (apt-get install -y chromium) or set CHROMIUM_PATH; browsers are never downloaded.",
    );
  }
  return found;
}

/** The residents' portal of the e2e server (its PUBLIC_URL). */
export const E2E_PORTAL_URL = BASE_URL;
/** The sandbox gateway of the e2e server (see webServer.env). */
export const E2E_SANDBOX_URL = `http://127.0.0.1:${PORT + 1}`;
export const E2E_SIMULATOR_URL = `http://127.0.0.1:${PORT + 2}`;
export const E2E_PROVIDER_TIMEOUT_MS = 3_000;
/** The local identity provider and the bill-source simulators of the e2e server. */
export const E2E_IDP_URL = `http://127.0.0.1:${PORT + 3}`;
export const E2E_SOURCES_URL = `http://127.0.0.1:${PORT + 4}`;
/** The local staff identity provider (the city's staff directory) of the e2e server. */
export const E2E_STAFF_IDP_URL = `http://localhost:${PORT + 5}`;
/** The demo mail server's SMTP port; the mails it received are listed on the sandbox gateway (E2E_MAILS_URL). */
export const E2E_MAIL_SMTP_PORT = PORT + 6;
export const E2E_MAILS_URL = `${E2E_SANDBOX_URL}/_sandbox/mails`;
/**
 * The back office, reached by host name: browsers refuse an IP address as a
 * passkey's relying party. Back-office tests use it as their baseURL.
 */
export const E2E_BACK_OFFICE_URL = `http://localhost:${PORT}`;

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** A Chromium whose camera plays a video (written by the global set-up). */
function fakeCamera(video: string | null, granted: boolean) {
  return {
    ...devices["Desktop Chrome"],
    locale: "zh-TW",
    permissions: granted ? ["camera"] : [],
    launchOptions: {
      executablePath: chromiumPath(),
      args: [
        ...CHROMIUM_ARGS,
        "--use-fake-device-for-media-stream",
        // Without it, a camera request is answered by the (denied) permission state.
        ...(granted ? ["--use-fake-ui-for-media-stream"] : []),
        ...(video ? [`--use-file-for-fake-video-capture=${video}`] : []),
      ],
    },
  };
}

export default defineConfig({
  testDir: "e2e",
  globalSetup: "./e2e/support/global-setup.ts",
  fullyParallel: true,
  forbidOnly: true,
  retries: 0,
  workers: process.env.E2E_WORKERS ? Number(process.env.E2E_WORKERS) : 2,
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]],
  outputDir: "test-results",
  // Journeys cross three services and check pages with axe: on a shared 2-core CI machine the
  // longest take over 30 s. A limit on hanging, not a speed check (speed is measured in bench/).
  timeout: 60_000,
  expect: { timeout: 7_000 },
  use: {
    baseURL: BASE_URL,
    locale: "zh-TW",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      testIgnore: /camera-.*\.spec\.ts/,
      use: {
        ...devices["Desktop Chrome"],
        locale: "zh-TW",
        launchOptions: { executablePath: chromiumPath(), args: CHROMIUM_ARGS },
      },
    },
    // One project per camera video: the video is a launch argument.
    { name: "camera-bill", testMatch: /camera-bill\.spec\.ts/, use: fakeCamera(CAMERA_FILES.billVideo, true) },
    { name: "camera-qr", testMatch: /camera-qr\.spec\.ts/, use: fakeCamera(CAMERA_FILES.qrVideo, true) },
    { name: "camera-unreadable", testMatch: /camera-unreadable\.spec\.ts/, use: fakeCamera(CAMERA_FILES.unreadableVideo, true) },
    { name: "camera-other-biller", testMatch: /camera-other-biller\.spec\.ts/, use: fakeCamera(CAMERA_FILES.otherBillerVideo, true) },
    { name: "camera-refused", testMatch: /camera-refused\.spec\.ts/, use: fakeCamera(null, false) },
  ],
  webServer: {
    command: "npm run build --silent && node e2e/support/serve.mjs",
    url: `${BASE_URL}/healthz`,
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: process.env.E2E_SERVER_LOG ? "pipe" : "ignore",
    stderr: "pipe",
    env: {
      PORT: String(PORT),
      HOST: "127.0.0.1",
      PUBLIC_URL: BASE_URL,
      DATA_DIR: ".data/e2e",
      LOG_LEVEL: process.env.E2E_SERVER_LOG ? "info" : "warn",
      DEMO_MODE: "true",
      // As behind a load balancer: each test speaks as its own client (X-Forwarded-For).
      TRUST_PROXY: "1",
      // The embedded sandbox gateway and agency simulator, on ports of this run's own.
      SANDBOX_PORT: String(PORT + 1),
      SANDBOX_PUBLIC_URL: `http://127.0.0.1:${PORT + 1}`,
      AGENCY_SIMULATOR_PORT: String(PORT + 2),
      IDP_PORT: String(PORT + 3),
      SOURCES_SIMULATOR_PORT: String(PORT + 4),
      STAFF_IDP_PORT: String(PORT + 5),
      MAIL_SANDBOX_PORT: String(E2E_MAIL_SMTP_PORT),
      BACK_OFFICE_URL: `http://localhost:${PORT}`,
      // The tests' own documentation network (198.18.0.0/15) and this machine; the water company registered a
      // narrower network of its own, so its staff are refused from the rest.
      BACK_OFFICE_NETWORKS: "127.0.0.0/8,::1/128,198.18.0.0/15",
      BACK_OFFICE_AGENCY_NETWORKS: JSON.stringify([{ agency: "water", networks: ["198.18.200.0/24", "127.0.0.0/8"] }]),
      JOBS_INTERVAL_MS: "1000",
      // Short, so that a payment left unknown resolves within a test.
      PROVIDER_TIMEOUT_MS: "3000",
      RECOVERY_AFTER_SECONDS: "8",
      // Sources answer in 150 ms (a "slow" one in 9 s): room for a loaded machine, and a slow source still misses it.
      BILL_SOURCE_TIMEOUT_MS: "2500",
      ECOUNTER_TIMEOUT_MS: "2500",
      // The e-counter's status changes are read every second: a status mail arrives within a test.
      CASE_CHANGES_POLL_SECONDS: "1",
    },
  },
});
