// Mints a sigd login token (HS256 JWT) the way an application backend would, with nothing but
// Node's crypto. sigd verifies it against the same kid and secret in its JWT_KEYS_FILE.
//
//   node examples/mint-token.mjs --kid k1 --secret "$SECRET" --sub alice --room lobby [--ttl 600]
import { createHmac } from 'node:crypto';
import { parseArgs } from 'node:util';

export function mintToken({ kid, secret, sub, room, ttlSeconds = 600, aud }) {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'HS256', typ: 'JWT', kid };
  const claims = { sub, room, iat: now, exp: now + ttlSeconds, ...(aud ? { aud } : {}) };
  const encode = (part) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const signed = `${encode(header)}.${encode(claims)}`;
  const mac = createHmac('sha256', secret).update(signed).digest('base64url');
  return `${signed}.${mac}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      kid: { type: 'string' }, secret: { type: 'string' }, sub: { type: 'string' },
      room: { type: 'string', default: '' }, ttl: { type: 'string', default: '600' },
      aud: { type: 'string' },
    },
  });
  if (!values.kid || !values.secret || !values.sub) {
    console.error('usage: mint-token.mjs --kid K --secret S --sub NAME [--room R] [--ttl 600] [--aud A]');
    process.exit(2);
  }
  console.log(mintToken({ ...values, ttlSeconds: Number(values.ttl) }));
}
