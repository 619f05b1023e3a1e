// The TLS-terminating proxy configurations as shipped, each run by Debian's own server in front
// of sigd, with a browser's WebSockets through them: deploy/nginx/sigd-tls.conf (X-Forwarded-For
// to a sigd that trusts nginx) and deploy/haproxy/sigd.cfg (a PROXY protocol v2 header on every
// connection to a sigd that requires one from HAProxy).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  startSigd, startNginx, startHaproxy, freePort, launchBrowser, WAIT_MS,
} from './harness.mjs';

const source = (path) => fileURLToPath(new URL(path, import.meta.url));
const nginxSite = readFileSync(source('../../deploy/nginx/sigd-tls.conf'), 'utf8');
const haproxyCfg = readFileSync(source('../../deploy/haproxy/sigd.cfg'), 'utf8');
const cert = source('../data/tls/cert.pem');
const key = source('../data/tls/key.pem');

let dir, behindNginx, behindHaproxy, nginx, haproxy, browser, context;
const ports = {};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sigd-proxies-e2e-'));
  behindNginx = await startSigd(['--trusted_proxies=127.0.0.1/32']);
  for (const name of ['nginxHttp', 'nginxTls', 'haproxyHttp', 'haproxyTls', 'metrics']) {
    ports[name] = await freePort();
  }
  // Its public port takes connections with a PROXY header only (from HAProxy's address): the
  // test reads its metrics on a listener of their own.
  behindHaproxy = await startSigd(['--trusted_proxies=127.0.0.1/32', '--proxy_protocol',
    `--metrics_addr=127.0.0.1:${ports.metrics}`]);

  let site = nginxSite
    .replace(/listen 80;/, `listen 127.0.0.1:${ports.nginxHttp};`)
    .replace(/listen 443 ssl;/, `listen 127.0.0.1:${ports.nginxTls} ssl;`)
    .replace(/ssl_certificate \S+;/, `ssl_certificate ${cert};`)
    .replace(/ssl_certificate_key \S+;/, `ssl_certificate_key ${key};`)
    .replace(/access_log \S+ /, `access_log ${join(dir, 'access.log')} `)
    .replace(/server sigd-\d:8080/g, `server 127.0.0.1:${behindNginx.port}`);
  assert.ok(site.includes(`${ports.nginxTls} ssl`), 'sigd-tls.conf listens with TLS on 443');
  nginx = await startNginx(dir, site, ports.nginxHttp, ports.nginxTls);

  const pem = join(dir, 'sigd.pem');
  writeFileSync(pem, readFileSync(cert, 'utf8') + readFileSync(key, 'utf8'));
  const cfg = haproxyCfg
    .replace(/bind :443 ssl crt \S+/, `bind 127.0.0.1:${ports.haproxyTls} ssl crt ${pem}`)
    .replace(/bind :80/, `bind 127.0.0.1:${ports.haproxyHttp}`)
    .replace(/server (sigd-\d) sigd-\d:8080/g, `server $1 127.0.0.1:${behindHaproxy.port}`);
  assert.ok(cfg.includes(`127.0.0.1:${behindHaproxy.port}`), 'sigd.cfg names its servers');
  haproxy = await startHaproxy(dir, cfg, ports.haproxyTls);

  browser = await launchBrowser();
  // The test certificate is self-signed.
  context = await browser.newContext({ ignoreHTTPSErrors: true });
});

after(async () => {
  await context?.close();
  await browser?.close();
  await nginx?.stop();
  await haproxy?.stop();
  for (const sigd of [behindNginx, behindHaproxy]) {
    if (sigd) assert.equal(await sigd.stop(), 0, 'sigd exits 0 on SIGTERM');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// In a page served through the proxy: two td peers over wss:// to the page's own host log in
// and one sends the other an offer; returns what the second received.
async function relayThrough(origin) {
  const page = await context.newPage();
  try {
    await page.goto(`${origin}/demo`, { timeout: WAIT_MS });
    return await page.evaluate(async (wait) => {
      const open = (name) => new Promise((resolve, reject) => {
        const ws = new WebSocket(`wss://${location.host}/`);
        const timer = setTimeout(() => reject(new Error(`${name}: no login_success`)), wait);
        ws.onmessage = (e) => {
          if (JSON.parse(e.data).type === 'login_success') {
            clearTimeout(timer);
            resolve(ws);
          }
        };
        ws.onopen = () => ws.send(JSON.stringify({ type: 'login', name, room: 'proxied' }));
        ws.onerror = () => reject(new Error(`${name}: WebSocket error`));
      });
      const a = await open('a');
      const b = await open('b');
      const offer = new Promise((resolve) => {
        b.onmessage = (e) => {
          const msg = JSON.parse(e.data);
          if (msg.type === 'offer') resolve(msg);
        };
      });
      a.send(JSON.stringify({ type: 'offer', target: 'b', sdp: 'v=0' }));
      const got = await offer;
      a.close();
      b.close();
      return got;
    }, WAIT_MS);
  } finally {
    await page.close();
  }
}

async function metric(port, name) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = text.match(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm'));
  return m ? Number(m[1]) : undefined;
}

test('nginx terminates TLS and carries WebSockets to sigd (sigd-tls.conf)', async () => {
  const got = await relayThrough(`https://127.0.0.1:${ports.nginxTls}`);
  assert.equal(got.from, 'a');
  assert.equal(got.sdp, 'v=0');
  assert.equal(await metric(behindNginx.port, 'sig_logins_total{protocol="td"}'), 2);
  // Plain HTTP is sent to https://.
  const plain = await fetch(`http://127.0.0.1:${ports.nginxHttp}/demo`, { redirect: 'manual' });
  assert.equal(plain.status, 308);
  assert.match(plain.headers.get('location'), /^https:\/\//);
});

test('HAProxy terminates TLS and names each client with a PROXY v2 header (sigd.cfg)', async () => {
  const got = await relayThrough(`https://127.0.0.1:${ports.haproxyTls}`);
  assert.equal(got.from, 'a');
  assert.equal(await metric(ports.metrics, 'sig_logins_total{protocol="td"}'), 2);
  // Every connection from HAProxy, health checks included, carried its header.
  assert.equal(await metric(ports.metrics, 'sig_proxy_protocol_errors_total'), 0);
  // The node requires the header from HAProxy's address: a bare request gets no answer.
  await assert.rejects(fetch(`http://127.0.0.1:${behindHaproxy.port}/health`));
  assert.equal(await metric(ports.metrics, 'sig_proxy_protocol_errors_total'), 1);
  const plain = await fetch(`http://127.0.0.1:${ports.haproxyHttp}/demo`, { redirect: 'manual' });
  assert.equal(plain.status, 308);
});
