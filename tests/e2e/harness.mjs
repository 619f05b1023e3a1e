// Shared pieces of the browser tests: sigd as a child process on 127.0.0.1:0, a static file
// server for test pages, and Debian's chromium through playwright-core. Every wait is bounded.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createConnection, createServer as createNetServer } from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const WAIT_MS = 20000;

// Every sigd a test started and has not stopped. A test that fails before its stop() must not
// leave one running: a live child would keep node from exiting until ctest's timeout.
const running = new Set();
process.on('exit', () => {
  for (const proc of running) proc.kill('SIGKILL');
});

export async function startSigd(extraArgs = []) {
  const binary = process.env.SIGD_BINARY;
  if (!binary) throw new Error('SIGD_BINARY is not set');
  const proc = spawn(binary, ['--host=127.0.0.1', '--port=0', '--admin_addr=127.0.0.1:0', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  running.add(proc);
  proc.on('exit', () => running.delete(proc));
  proc.unref();
  proc.stdout.unref();
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('sigd did not start')), WAIT_MS);
    let out = '';
    proc.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/listening on [^\n]*:(\d+)\n/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.on('exit', (code) => reject(new Error(`sigd exited with ${code}`)));
  });
  return {
    port,
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.ref();  // held until it has exited
      proc.kill('SIGTERM');
      const [code] = await once(proc, 'exit');
      return code;
    },
  };
}

// Serves `files` ({'/path': {type, body}}) on 127.0.0.1 and a free port.
export async function startStatic(files) {
  const server = createServer((req, res) => {
    const file = files[new URL(req.url, 'http://x').pathname];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.type }).end(file.body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: server.address().port, close: () => server.close() };
}

// Headless Debian chromium. Loopback ICE candidates are allowed and not hidden behind mDNS
// names, so WebRTC connects over 127.0.0.1 with no network and no STUN server.
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--allow-loopback-in-peer-connection',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      // A synthetic camera and microphone, granted without a prompt (the demo's video call).
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    ],
  });
}

// A free TCP port on 127.0.0.1, for servers that cannot be given port 0 (nginx).
export async function freePort() {
  const server = createNetServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

// Polls `url` until it answers 200 (bounded).
export async function waitForOk(url) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// A throw-away redis-server without persistence, on a unix socket in `dir` (no TCP port at all).
export async function startRedis(dir) {
  const socket = join(dir, 'redis.sock');
  const proc = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--save', '',
    '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + WAIT_MS;
  while (!existsSync(socket)) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error('redis-server did not start');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { socket, stop: () => stopProcess(proc) };
}

// Polls until something accepts TCP connections on 127.0.0.1:`port` (bounded): readiness for
// a listener that speaks TLS with a certificate fetch would refuse.
export async function waitForPort(port) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// Debian's nginx in the foreground with everything under `dir`; `site` is the http-block
// configuration to include. `tlsPort`: the site listens with TLS there and readiness is a TCP
// connection to it; else /health on `port` answers 200.
export async function startNginx(dir, site, port, tlsPort) {
  const siteFile = join(dir, 'site.conf');
  writeFileSync(siteFile, site);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, [
    'worker_processes 1;', 'daemon off;', `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} warn;`, 'events { worker_connections 256; }',
    'http {', '  access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
      (t) => `  ${t}_temp_path ${join(dir, t)};`),
    `  include ${siteFile};`, '}', ''].join('\n'));
  const proc = spawn('nginx', ['-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (tlsPort) {
    await waitForPort(tlsPort);
  } else {
    await waitForOk(`http://127.0.0.1:${port}/health`);
  }
  return { stop: () => stopProcess(proc) };
}

// Debian's HAProxy in the foreground with configuration `cfg`, ready once `port` accepts.
export async function startHaproxy(dir, cfg, port) {
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, cfg);
  const proc = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitForPort(port);
  return { stop: () => stopProcess(proc) };
}

async function stopProcess(proc) {
  if (proc.exitCode !== null) return proc.exitCode;
  proc.kill('SIGTERM');
  const [code] = await once(proc, 'exit');
  return code;
}

// Debian's coturn on 127.0.0.1: a TURN listener on a free port and a small relay range, with
// the REST scheme's shared `secrets` (several may be accepted at once, as during a rotation).
// Loopback peers are allowed (the test's peers are on 127.0.0.1), which needs the CLI off.
export async function startCoturn(dir, secrets) {
  const port = await freePort();
  const relayBase = 49152 + Math.floor(Math.random() * 8000);
  const args = ['-n', '--listening-ip', '127.0.0.1', '--relay-ip', '127.0.0.1',
    '--listening-port', String(port), '--min-port', String(relayBase),
    '--max-port', String(relayBase + 40), '--use-auth-secret', '--realm', 'sigd.test',
    '--no-tls', '--no-dtls', '--no-cli', '--allow-loopback-peers', '--fingerprint',
    '--no-multicast-peers', '--pidfile', join(dir, 'turn.pid'), '--userdb', join(dir, 'turndb'),
    '--log-file', 'stdout', '--simple-log'];
  for (const secret of secrets) args.push('--static-auth-secret', secret);
  const proc = spawn('turnserver', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  // Ready when its UDP listener answers a STUN binding request.
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    // The probe waits forever for an answer that never comes: bounded to one second a try.
    const probe = spawn('turnutils_stunclient', ['-p', String(port), '127.0.0.1'],
      { stdio: 'ignore', timeout: 1000 });
    const [code] = await once(probe, 'exit');
    if (code === 0) break;
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error('turnserver did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { port, stop: () => stopProcess(proc) };
}
