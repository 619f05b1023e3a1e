// Shared pieces of the browser tests: sigd as a child process on 127.0.0.1:0, a static file
// server for test pages, and Debian's chromium through playwright-core. Every wait is bounded.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { chromium } from 'playwright-core';

export const WAIT_MS = 20000;

export async function startSigd(extraArgs = []) {
  const binary = process.env.SIGD_BINARY;
  if (!binary) throw new Error('SIGD_BINARY is not set');
  const proc = spawn(binary, ['--host=127.0.0.1', '--port=0', '--admin_addr=127.0.0.1:0', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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
    ],
  });
}
