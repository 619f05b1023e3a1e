// The /demo page served by sigd, in two headless chromium tabs: both log in with the td
// protocol, see each other, open a WebRTC data channel through sigd and chat both ways.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSigd, launchBrowser, WAIT_MS } from './harness.mjs';

let sigd, browser;

before(async () => {
  sigd = await startSigd();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  assert.equal(await sigd?.stop(), 0, 'sigd exits 0 on SIGTERM');
});

async function openTab(name) {
  const tab = await browser.newPage();
  tab.setDefaultTimeout(WAIT_MS);
  await tab.goto(`http://127.0.0.1:${sigd.port}/demo?name=${name}&room=e2e`);
  await tab.locator('#status[data-state="online"]').waitFor();
  return tab;
}

test('two tabs see each other and chat over a data channel', async () => {
  const alice = await openTab('alice');
  const bob = await openTab('bob');
  assert.equal(await alice.locator('#login button').isDisabled(), true, 'one login per page');
  // Each sees the other: bob from login_success, alice from peer_connected.
  await alice.locator('#peers button[data-peer="bob"]').waitFor();
  await bob.locator('#peers button[data-peer="alice"]').waitFor();

  await alice.click('#peers button[data-peer="bob"]');
  await alice.locator('#status[data-state="connected"]').waitFor();
  await bob.locator('#status[data-state="connected"]').waitFor();

  await alice.fill('#text', 'hi bob');
  await alice.click('#chat button');
  await bob.locator('#log', { hasText: 'alice: hi bob' }).waitFor();
  await bob.fill('#text', 'hi alice');
  await bob.click('#chat button');
  await alice.locator('#log', { hasText: 'bob: hi alice' }).waitFor();

  // Closing one tab tells the other it left.
  await bob.close();
  await alice.locator('#peers button[data-peer="bob"]').waitFor({ state: 'detached' });
  assert.equal(await alice.locator('#peers li').count(), 0);
});
