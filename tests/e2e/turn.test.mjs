// Signed-token login and TURN through Debian's coturn, in Chromium: two pages log in to sigd with
// tokens, take the TURN credentials sigd put in their login_success, and open a data channel with
// iceTransportPolicy 'relay', every offer, answer and candidate going through sigd; the selected
// candidate pair must be relayed on both sides. coturn accepts two secrets (a rotation under way): sigd mints
// with the new one, and a credential of the old one still allocates; an expired one does not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintToken } from '../../examples/mint-token.mjs';
import { startSigd, startStatic, startCoturn, launchBrowser, WAIT_MS } from './harness.mjs';

const jwtSecret = 'e2e-jwt-secret-of-at-least-32-bytes!';
const oldTurnSecret = 'the-old-turn-secret';
const newTurnSecret = 'the-new-turn-secret';

let dir, coturn, sigd, statics, browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sigd-turn-e2e-'));
  coturn = await startCoturn(dir, [oldTurnSecret, newTurnSecret]);
  writeFileSync(join(dir, 'keys.txt'), `k1 HS256 ${jwtSecret}\n`);
  sigd = await startSigd([`--jwt_keys_file=${join(dir, 'keys.txt')}`, '--jwt_audience=sigd',
    `--turn_secret=${newTurnSecret}`, `--turn_uris=turn:127.0.0.1:${coturn.port}?transport=udp`,
    '--turn_ttl=10m']);
  statics = await startStatic({
    '/': { type: 'text/html', body: '<!doctype html><meta charset="utf-8"><body>turn</body>' },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  statics?.close();
  if (sigd) assert.equal(await sigd.stop(), 0, 'sigd exits 0 on SIGTERM');
  await coturn?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const token = (sub) => mintToken({ kid: 'k1', secret: jwtSecret, sub, room: 'e2e', aud: 'sigd' });

// One page's peer: logs in with `tok`, builds its RTCPeerConnection from the iceServers of its
// own login_success with iceTransportPolicy 'relay', and signals through sigd. The caller waits
// until it knows `other`, opens a data channel and sends; the callee answers and receives.
// Resolves to what was received (callee) and the selected pair's candidate types.
async function relayPeer(page, { port, tok, me, other, caller }) {
  return page.evaluate(async ({ port, tok, me, other, caller, waitMs }) => {
    const timeout = (what) => new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`${me}: timed out: ${what}`)), waitMs));
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    // Messages wait in `inbox` until a waiter takes one it matches; every waiter is woken by
    // each new message.
    const inbox = [];
    let waiters = [];
    ws.onmessage = (e) => {
      inbox.push(JSON.parse(e.data));
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
    };
    const next = async (pred) => {
      for (;;) {
        const i = inbox.findIndex(pred);
        if (i >= 0) return inbox.splice(i, 1)[0];
        await new Promise((resolve) => { waiters.push(resolve); });
      }
    };
    await new Promise((resolve) => { ws.onopen = resolve; });
    ws.send(JSON.stringify({ type: 'login', room: 'e2e', token: tok }));
    const success = await Promise.race([next((m) => m.type === 'login_success'), timeout('login')]);
    const pc = new RTCPeerConnection({ iceServers: success.iceServers, iceTransportPolicy: 'relay' });
    pc.onicecandidate = (e) => {
      if (e.candidate) ws.send(JSON.stringify({ type: 'candidate', target: other, candidate: e.candidate }));
    };
    // Candidates are added once the remote description is set (they may come first).
    let described;
    const remoteSet = new Promise((resolve) => { described = resolve; });
    (async () => {
      await remoteSet;
      for (;;) {
        const msg = await next((m) => m.type === 'candidate');
        await pc.addIceCandidate(msg.candidate);
      }
    })();
    let received = null;
    if (caller) {
      if (!success.clients.includes(other)) {
        await Promise.race([next((m) => m.type === 'peer_connected' && m.peer === other), timeout('peer')]);
      }
      const channel = pc.createDataChannel('chat');
      const opened = new Promise((resolve) => { channel.onopen = resolve; });
      await pc.setLocalDescription(await pc.createOffer());
      ws.send(JSON.stringify({ type: 'offer', target: other, sdp: pc.localDescription }));
      const answer = await Promise.race([next((m) => m.type === 'answer'), timeout('answer')]);
      await pc.setRemoteDescription(answer.sdp);
      described();
      await Promise.race([opened, timeout('data channel open')]);
      channel.send(`hello from ${me} through the relay`);
    } else {
      const got = new Promise((resolve) => {
        pc.ondatachannel = (e) => { e.channel.onmessage = (m) => resolve(m.data); };
      });
      const offer = await Promise.race([next((m) => m.type === 'offer'), timeout('offer')]);
      await pc.setRemoteDescription(offer.sdp);
      described();
      await pc.setLocalDescription(await pc.createAnswer());
      ws.send(JSON.stringify({ type: 'answer', target: other, sdp: pc.localDescription }));
      received = await Promise.race([got, timeout('message')]);
    }
    const stats = await pc.getStats();
    let pair;
    stats.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
    });
    return {
      received,
      localType: stats.get(pair.localCandidateId).candidateType,
      remoteType: stats.get(pair.remoteCandidateId).candidateType,
      username: success.iceServers[0].username,
      expireAt: success.iceServersExpireAt,
    };
  }, { port, tok, me, other, caller, waitMs: WAIT_MS });
}

test('two pages open a data channel relayed by coturn, signalled through sigd', async () => {
  const pages = [await browser.newPage(), await browser.newPage()];
  for (const page of pages) await page.goto(`http://127.0.0.1:${statics.port}/`);
  const [alice, bob] = await Promise.all([
    relayPeer(pages[0], { port: sigd.port, tok: token('alice'), me: 'alice', other: 'bob', caller: true }),
    relayPeer(pages[1], { port: sigd.port, tok: token('bob'), me: 'bob', other: 'alice', caller: false }),
  ]);
  assert.equal(bob.received, 'hello from alice through the relay');
  for (const side of [alice, bob]) {
    assert.equal(side.localType, 'relay');
    assert.equal(side.remoteType, 'relay');
  }
  assert.equal(alice.username, `${alice.expireAt}:alice`);
  assert.equal(bob.username, `${bob.expireAt}:bob`);
  for (const page of pages) await page.close();
});

// Gathers relay candidates with `iceServers`; resolves to how many relay candidates came and
// whether coturn refused (icecandidateerror).
async function gatherRelay(page, iceServers) {
  return page.evaluate(async ({ iceServers, waitMs }) => {
    const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: 'relay' });
    let relays = 0;
    let errors = 0;
    pc.onicecandidateerror = () => { errors += 1; };
    const done = new Promise((resolve) => {
      pc.onicecandidate = (e) => {
        if (e.candidate && e.candidate.type === 'relay') relays += 1;
        if (!e.candidate) resolve();
      };
    });
    pc.createDataChannel('x');
    await pc.setLocalDescription(await pc.createOffer());
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, waitMs))]);
    pc.close();
    return { relays, errors };
  }, { iceServers, waitMs: WAIT_MS });
}

const restCredential = (secret, expiry, user) => {
  const username = `${expiry}:${user}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
};

test('old-secret credentials allocate during a rotation; expired ones do not', async () => {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${statics.port}/`);
  const urls = [`turn:127.0.0.1:${coturn.port}?transport=udp`];
  const now = Math.floor(Date.now() / 1000);
  const old = await gatherRelay(page, [{ urls, ...restCredential(oldTurnSecret, now + 600, 'carol') }]);
  assert.ok(old.relays > 0, 'a credential of the old secret allocates while coturn has both');
  const expired = await gatherRelay(page, [{ urls, ...restCredential(newTurnSecret, now - 60, 'carol') }]);
  assert.equal(expired.relays, 0, 'an expired credential allocates nothing');
  assert.ok(expired.errors > 0, 'coturn refuses it (401)');
  // And what GET /turn-credentials hands to a bearer of a token allocates too.
  const res = await fetch(`http://127.0.0.1:${sigd.port}/turn-credentials`,
    { headers: { Authorization: `Bearer ${token('dave')}` } });
  assert.equal(res.status, 200);
  const body = await res.json();
  const fresh = await gatherRelay(page, body.iceServers);
  assert.ok(fresh.relays > 0, 'the credential sigd issued over HTTP allocates');
  await page.close();
});

// The demo page with ?token=: it logs in with the token (no name: the token's sub) and builds
// its peer connections from the TURN credentials sigd offered.
test('the demo page logs in with a token and uses the offered TURN credentials', async () => {
  const open = async (name) => {
    const tab = await browser.newPage();
    tab.setDefaultTimeout(WAIT_MS);
    await tab.goto(`http://127.0.0.1:${sigd.port}/demo?room=e2e&token=${token(name)}`);
    await tab.locator('#status[data-state="online"]').waitFor();
    return tab;
  };
  const carol = await open('carol');
  const erin = await open('erin');
  await carol.locator('#peers li[data-peer="erin"][data-state="connected"]').waitFor();
  await erin.locator('#peers li[data-peer="carol"][data-state="connected"]').waitFor();
  await carol.locator('#log', { hasText: 'erin joined the chat' }).waitFor();
  await carol.fill('#text', 'hi erin');
  await carol.click('#chat button');
  await erin.locator('#log', { hasText: 'carol: hi erin' }).waitFor();
  const username = await carol.evaluate(
    () => window.demo.connections.get('erin').pc.getConfiguration().iceServers[0].username);
  assert.match(username, /^\d+:carol$/);
  await carol.close();
  await erin.close();
});
