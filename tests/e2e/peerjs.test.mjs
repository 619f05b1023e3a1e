// The real peerjs 1.5.5 bundle in headless chromium against sigd: a DataConnection through the
// server with messages both ways over the real data channel, peer-unavailable for an id nobody
// holds, and unavailable-id for a taken id.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startSigd, startStatic, launchBrowser, WAIT_MS } from './harness.mjs';

const bundle = readFileSync(
  fileURLToPath(new URL('./node_modules/peerjs/dist/peerjs.min.js', import.meta.url)));
const page = '<!doctype html><meta charset="utf-8"><script src="/peerjs.min.js"></script><body>peerjs</body>';

let sigd, site, browser, tab;

before(async () => {
  sigd = await startSigd(['--expire_timeout=1s']);
  site = await startStatic({
    '/': { type: 'text/html', body: page },
    '/peerjs.min.js': { type: 'text/javascript', body: bundle },
  });
  browser = await launchBrowser();
  tab = await browser.newPage();
  tab.setDefaultTimeout(WAIT_MS);
  await tab.goto(`http://127.0.0.1:${site.port}/`);
  // In the page: a Peer factory pointed at sigd, and a helper to await one event or error.
  await tab.evaluate((port) => {
    window.options = {
      host: '127.0.0.1', port, path: '/peerjs', key: 'peerjs', secure: false, debug: 0,
      config: { iceServers: [] },
    };
    window.openPeer = (id) => new Promise((resolve, reject) => {
      const peer = id ? new Peer(id, window.options) : new Peer(window.options);
      peer.on('open', () => resolve(peer));
      peer.on('error', (err) => reject(new Error(`${err.type}: ${err.message}`)));
    });
  }, sigd.port);
});

after(async () => {
  await browser?.close();
  site?.close();
  const code = await sigd?.stop();
  assert.equal(code, 0, 'sigd exits 0 on SIGTERM');
});

test('two peers open a DataConnection through sigd and talk both ways', async () => {
  const result = await tab.evaluate(async (waitMs) => {
    const alice = await window.openPeer();            // id from GET /peerjs/peerjs/id
    const bob = await window.openPeer('bob-e2e');
    const bobGot = new Promise((resolve) => {
      bob.on('connection', (conn) => {
        conn.on('data', (data) => {
          conn.send(`pong:${data}`);
          resolve(data);
        });
      });
    });
    const conn = alice.connect('bob-e2e', { reliable: true });
    const aliceGot = new Promise((resolve) => conn.on('data', resolve));
    await new Promise((resolve, reject) => {
      conn.on('open', resolve);
      conn.on('error', reject);
      setTimeout(() => reject(new Error('data channel did not open')), waitMs);
    });
    conn.send('hello from alice');
    const [atBob, atAlice] = await Promise.all([bobGot, aliceGot]);
    const ids = [alice.id, bob.id];
    alice.destroy();
    bob.destroy();
    return { atBob, atAlice, ids };
  }, WAIT_MS);
  assert.equal(result.atBob, 'hello from alice');
  assert.equal(result.atAlice, 'pong:hello from alice');
  assert.match(result.ids[0], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(result.ids[1], 'bob-e2e');
});

test('connecting to an id nobody holds yields peer-unavailable', async () => {
  const type = await tab.evaluate(async (waitMs) => {
    const carol = await window.openPeer('carol-e2e');
    const error = new Promise((resolve, reject) => {
      carol.on('error', (err) => resolve(err.type));
      setTimeout(() => reject(new Error('no error event')), waitMs);
    });
    carol.connect('nobody-holds-this-id');
    const result = await error;
    carol.destroy();
    return result;
  }, WAIT_MS);
  assert.equal(type, 'peer-unavailable');
});

test('opening a second peer with a taken id yields unavailable-id', async () => {
  const type = await tab.evaluate(async () => {
    const first = await window.openPeer('taken-e2e');
    let result;
    try {
      await window.openPeer('taken-e2e');
      result = 'opened';
    } catch (err) {
      result = err.message.split(':')[0];
    }
    first.destroy();
    return result;
  });
  assert.equal(type, 'unavailable-id');
});
