// Where the browser tests, the screenshot script and the bench find Chromium.
import { existsSync } from 'node:fs';

const candidates = [process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** Path of a Chromium binary, or undefined when none is installed. */
export function findChromium() {
  return candidates.find((path) => path && existsSync(path));
}

/** Path of a Chromium binary; exits with a readable message when there is none. */
export function chromiumPath() {
  const path = findChromium();
  if (!path) {
    console.error(
      '\nNo Chromium found. The browser tests run in Debian Chromium:\n' +
        '  apt-get update && apt-get install -y chromium\n' +
        'or point CHROME_PATH at a Chromium or Chrome binary.\n',
    );
    process.exit(2);
  }
  return path;
}

/** Flags for headless Chromium as root on a closed network. */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
