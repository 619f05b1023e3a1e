// A cluster as users deploy it: Debian's nginx, with deploy/nginx/sigd.conf as shipped (the
// compose file's), round-robin in front of its three sigd nodes on one redis-server. Pages that land on different
// nodes must not be able to tell: two stock peerjs 1.5.5 clients open a data channel and talk,
// two /demo pages chat.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  startSigd, startStatic, startRedis, startNginx, freePort, waitForOk, launchBrowser, WAIT_MS,
} from './harness.mjs';

const bundle = readFileSync(
  fileURLToPath(new URL('./node_modules/peerjs/dist/peerjs.min.js', import.meta.url)));
const site = readFileSync(fileURLToPath(new URL('../../deploy/nginx/sigd.conf', import.meta.url)), 'utf8');
const page = '<!doctype html><meta charset="utf-8"><script src="/peerjs.min.js"></script><body>peerjs</body>';

let dir, redis, nodes, nginx, proxyPort, statics, browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sigd-cluster-e2e-'));
  redis = await startRedis(dir);
  const upstreams = site.match(/^\s*server \S+:\d+ .*$/gm);
  assert.equal(upstreams?.length, 3, 'deploy/nginx/sigd.conf names three upstream servers');
  nodes = [];
  for (let i = 0; i < upstreams.length; i++) {
    nodes.push(await startSigd([`--redis_addr=${redis.socket}`, '--bus_lease=2s']));
  }
  // Both nodes hold their lease (they refuse logins until then).
  for (const node of nodes) await waitForOk(`http://127.0.0.1:${node.port}/health`);
  proxyPort = await freePort();
  let conf = site.replace(/^(\s*)listen [^;\n]+;/m, `$1listen 127.0.0.1:${proxyPort};`)
    .replace(/access_log \S+ sigd_no_query;/, `access_log ${join(dir, 'access.log')} sigd_no_query;`);
  assert.ok(conf.includes(join(dir, 'access.log')), 'deploy/nginx/sigd.conf keeps an access log');
  upstreams.forEach((line, i) => {
    conf = conf.replace(line, line.replace(/server \S+:\d+/, `server 127.0.0.1:${nodes[i].port}`));
  });
  nginx = await startNginx(dir, conf, proxyPort);
  statics = await startStatic({
    '/': { type: 'text/html', body: page },
    '/peerjs.min.js': { type: 'text/javascript', body: bundle },
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  statics?.close();
  await nginx?.stop();
  for (const node of nodes ?? []) assert.equal(await node.stop(), 0, 'sigd exits 0 on SIGTERM');
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Registered peers of `protocol` on each node, from its /metrics.
async function peersByNode(protocol) {
  return Promise.all(nodes.map(async (node) => {
    const text = await (await fetch(`http://127.0.0.1:${node.port}/metrics`)).text();
    const m = text.match(new RegExp(`^sig_peers\\{protocol="${protocol}"\\} (\\d+)$`, 'm'));
    return Number(m?.[1] ?? -1);
  }));
}

// Waits until the nodes hold `want` peers of `protocol` between them, and returns the split.
async function settle(protocol, want) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const split = await peersByNode(protocol);
    if (split.reduce((a, b) => a + b, 0) === want) return split;
    if (Date.now() > deadline) throw new Error(`${protocol} peers per node: ${split}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// Opens a page with `open` until its peer lands on a node that does not hold the first one.
// nginx takes the nodes in turn; requests to /health in between move the turn on, one more
// each attempt, since a page's own requests may be a multiple of the nodes.
async function onTheOtherNode(protocol, open) {
  for (let attempt = 0; attempt < 6; attempt++) {
    const tab = await open();
    const split = await settle(protocol, 2);
    if (Math.max(...split) === 1) return tab;
    await tab.close();
    await settle(protocol, 1);
    for (let i = 0; i <= attempt; i++) await fetch(`http://127.0.0.1:${proxyPort}/health`);
  }
  throw new Error('the second page never landed on the other node');
}

async function peerJsTab(id) {
  const tab = await browser.newPage();
  tab.setDefaultTimeout(WAIT_MS);
  await tab.goto(`http://127.0.0.1:${statics.port}/`);
  await tab.evaluate(({ port, id }) => new Promise((resolve, reject) => {
    window.peer = new Peer(id, {
      host: '127.0.0.1', port, path: '/peerjs', key: 'peerjs', secure: false, debug: 0,
      config: { iceServers: [] },
    });
    window.peer.on('open', resolve);
    window.peer.on('error', (err) => reject(new Error(`${err.type}: ${err.message}`)));
  }), { port: proxyPort, id });
  return tab;
}

test('two peerjs clients on different nodes open a data channel and talk', async () => {
  const bob = await peerJsTab('bob-cluster');
  await settle('peerjs', 1);
  const alice = await onTheOtherNode('peerjs', () => peerJsTab('alice-cluster'));
  const atBob = bob.evaluate(() => new Promise((resolve) => {
    window.peer.on('connection', (conn) => {
      conn.on('data', (data) => {
        conn.send(`pong:${data}`);
        resolve(data);
      });
    });
  }));
  const atAlice = await alice.evaluate((waitMs) => new Promise((resolve, reject) => {
    const conn = window.peer.connect('bob-cluster', { reliable: true });
    conn.on('open', () => conn.send('hello across nodes'));
    conn.on('data', resolve);
    conn.on('error', reject);
    setTimeout(() => reject(new Error('no answer over the data channel')), waitMs);
  }), WAIT_MS);
  assert.equal(await atBob, 'hello across nodes');
  assert.equal(atAlice, 'pong:hello across nodes');
  await alice.close();
  await bob.close();
  await settle('peerjs', 0);
});

async function demoTab(name) {
  const tab = await browser.newPage();
  tab.setDefaultTimeout(WAIT_MS);
  await tab.goto(`http://127.0.0.1:${proxyPort}/demo?name=${name}&room=cluster`);
  await tab.locator('#status[data-state="online"]').waitFor();
  return tab;
}

test('two /demo pages on different nodes see each other and chat', async () => {
  const alice = await demoTab('alice');
  await settle('td', 1);
  const bob = await onTheOtherNode('td', () => demoTab('bob'));
  // bob, the newcomer, calls alice; both see the call connected and its chat open.
  await alice.locator('#peers li[data-peer="bob"][data-state="connected"]').waitFor();
  await bob.locator('#peers li[data-peer="alice"][data-state="connected"]').waitFor();
  await alice.locator('#log', { hasText: 'bob joined the chat' }).waitFor();
  await bob.locator('#log', { hasText: 'alice joined the chat' }).waitFor();
  await alice.fill('#text', 'hi bob');
  await alice.click('#chat button');
  await bob.locator('#log', { hasText: 'alice: hi bob' }).waitFor();
  await bob.fill('#text', 'hi alice');
  await bob.click('#chat button');
  await alice.locator('#log', { hasText: 'bob: hi alice' }).waitFor();
  // Leaving is heard on the other node too.
  await bob.close();
  await alice.locator('#peers li[data-peer="bob"]').waitFor({ state: 'detached' });
});

// The PeerJS clients above put their token in the WebSocket URL; nginx's log must not keep it.
test('nginx logs requests without their query strings', () => {
  const log = readFileSync(join(dir, 'access.log'), 'utf8');
  assert.match(log, /GET \/peerjs\/peerjs" 101/, 'the upgrades were logged');
  assert.doesNotMatch(log, /token=/);
});
