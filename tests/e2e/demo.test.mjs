// The /demo page served by sigd: a video call. Three headless Chromium pages with fake cameras
// join one room; each receives and decodes video from the other two through peer connections
// negotiated over sigd, they chat, and when one leaves the others see it go. The page is also
// checked at a phone's size, and a screenshot is written where SIGD_DEMO_SCREENSHOT says
// (tools/demo-screenshot uses it for the README's).
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

async function join(name, room, viewport = { width: 1100, height: 700 }) {
  const page = await browser.newPage({ viewport });
  page.setDefaultTimeout(WAIT_MS);
  await page.goto(`http://127.0.0.1:${sigd.port}/demo?name=${name}&room=${room}`);
  await page.locator('#status[data-state="online"]').waitFor();
  return page;
}

// Video frames `page` has decoded from `peer` so far.
async function framesFrom(page, peer) {
  return page.evaluate(async (name) => {
    const c = window.demo.connections.get(name);
    if (!c) return 0;
    let frames = 0;
    for (const report of (await c.pc.getStats()).values()) {
      if (report.type === 'inbound-rtp' && report.kind === 'video') frames += report.framesDecoded || 0;
    }
    return frames;
  }, peer);
}

// Waits (bounded) until `page` decodes video from `peer` and keeps decoding it.
async function seesVideoFrom(page, peer) {
  const deadline = Date.now() + WAIT_MS;
  let first = 0;
  while ((first = await framesFrom(page, peer)) === 0) {
    if (Date.now() > deadline) throw new Error(`no video from ${peer}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  while ((await framesFrom(page, peer)) <= first) {
    if (Date.now() > deadline) throw new Error(`video from ${peer} stopped at ${first} frames`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('three pages in a room see and hear each other, chat, and see one leave', async () => {
  const names = ['alice', 'bob', 'carol'];
  const pages = {};
  for (const name of names) pages[name] = await join(name, 'call');
  assert.equal(await pages.alice.locator('#login button').isDisabled(), true, 'one login per page');

  for (const name of names) {
    for (const other of names.filter((n) => n !== name)) {
      await pages[name].locator(`#peers li[data-peer="${other}"][data-state="connected"]`).waitFor();
      await seesVideoFrom(pages[name], other);
    }
    // Its own camera too, muted.
    await pages[name].locator(`#peers li[data-peer="${name}"] video`).waitFor();
  }

  for (const name of ['bob', 'carol']) {
    await pages[name].locator('#log', { hasText: 'alice joined the chat' }).waitFor();
  }
  assert.equal(await pages.bob.locator('#log div', { hasText: 'alice joined the chat' }).count(), 1,
    'each channel is announced once');
  await pages.alice.fill('#text', 'hi all');
  await pages.alice.click('#chat button');
  await pages.bob.locator('#log', { hasText: 'alice: hi all' }).waitFor();
  await pages.carol.locator('#log', { hasText: 'alice: hi all' }).waitFor();

  if (process.env.SIGD_DEMO_SCREENSHOT) {
    await pages.alice.screenshot({ path: process.env.SIGD_DEMO_SCREENSHOT });
  }

  await pages.carol.close();
  for (const name of ['alice', 'bob']) {
    await pages[name].locator('#peers li[data-peer="carol"]').waitFor({ state: 'detached' });
    await pages[name].locator('#log', { hasText: 'carol left' }).waitFor();
    assert.equal(await pages[name].locator('#peers li').count(), 2, `${name}: itself and one other`);
  }
  await pages.alice.close();
  await pages.bob.close();
});

test('a taken name is said so, and the page fits a phone', async () => {
  const phone = { width: 390, height: 844 };
  const dana = await join('dana', 'small', phone);
  const overflow = await dana.evaluate(() => document.scrollingElement.scrollWidth - innerWidth);
  assert.ok(overflow <= 0, `no sideways scrolling on a phone (${overflow} px too wide)`);
  const twin = await browser.newPage({ viewport: phone });
  twin.setDefaultTimeout(WAIT_MS);
  await twin.goto(`http://127.0.0.1:${sigd.port}/demo?name=dana&room=small`);
  await twin.locator('#status[data-state="taken"]').waitFor();
  assert.match(await twin.locator('#status').textContent(), /dana is taken/);
  // Once the server has closed the refused session, it may try another name.
  await twin.waitForFunction(() => !document.querySelector('#login button').disabled);
  await twin.close();
  await dana.close();
});

test('a page whose signaling drops keeps its call: the others see it away, then back', async () => {
  const gus = await join('gus', 'blip');
  const hal = await join('hal', 'blip');
  await seesVideoFrom(hal, 'gus');
  await seesVideoFrom(gus, 'hal');
  // Marks the peer connections, to tell later whether they are still the same ones.
  await hal.evaluate(() => { window.demo.connections.get('gus').pc.before = true; });
  await gus.evaluate(() => { window.demo.connections.get('hal').pc.before = true; });
  await gus.evaluate(() => ws.close());  // the page's WebSocket only; the server tells hal gus left
  await hal.locator('#log', { hasText: 'gus left' }).waitFor();
  await gus.locator('#status[data-state="online"]').waitFor();
  await hal.locator('#log', { hasText: 'gus is back' }).waitFor();
  await hal.locator('#peers li[data-peer="gus"][data-state="connected"]').waitFor();
  assert.equal(await hal.evaluate(() => window.demo.connections.get('gus').pc.before), true,
    'hal kept its call with gus');
  assert.equal(await gus.evaluate(() => window.demo.connections.get('hal').pc.before), true,
    'gus kept its call with hal');
  await seesVideoFrom(hal, 'gus');
  await seesVideoFrom(gus, 'hal');
  // Hanging up is seen at once, not after the grace for a dropped signaling link.
  await gus.close();
  await hal.locator('#peers li[data-peer="gus"]').waitFor({ state: 'detached' });
  await hal.close();
});

test('a page whose connection died unseen waits for sigd to let go of its name, call intact', async () => {
  const kay = await join('kay', 'lost');
  // jay's WebSocket goes through Playwright, which can cut the page off while sigd still sees the
  // connection open: what a network change or a sleeping laptop does.
  const jay = await browser.newPage();
  jay.setDefaultTimeout(WAIT_MS);
  const routes = [];
  await jay.routeWebSocket(/:\d+\/$/, (route) => {
    const server = route.connectToServer();
    route.onClose(() => {});  // the page's close never reaches sigd
    routes.push({ route, server });
  });
  await jay.goto(`http://127.0.0.1:${sigd.port}/demo?name=jay&room=lost`);
  await jay.locator('#status[data-state="online"]').waitFor();
  await seesVideoFrom(kay, 'jay');
  await seesVideoFrom(jay, 'kay');

  await routes[0].route.close({ code: 1006 });
  await jay.locator('#log', { hasText: 'sigd still holds jay for the lost connection' }).waitFor();
  assert.equal(await jay.locator('#status').getAttribute('data-state'), 'reconnecting');
  // sigd notices (here: the dead connection closes), and the next try gets the name back.
  routes[0].server.close();
  await kay.locator('#log', { hasText: 'jay left' }).waitFor();
  await jay.locator('#status[data-state="online"]').waitFor();
  await kay.locator('#log', { hasText: 'jay is back' }).waitFor();
  await seesVideoFrom(kay, 'jay');
  await seesVideoFrom(jay, 'kay');
  await jay.close();
  await kay.close();
});

test('a call survives a restart of sigd: the pages reconnect and the media never stopped', async (t) => {
  let second;
  const first = await startSigd();
  t.after(async () => {
    await first.stop();
    await second?.stop();
  });
  const port = first.port;
  const open = async (name) => {
    const page = await browser.newPage();
    page.setDefaultTimeout(WAIT_MS);
    await page.goto(`http://127.0.0.1:${port}/demo?name=${name}&room=again`);
    await page.locator('#status[data-state="online"]').waitFor();
    return page;
  };
  const erin = await open('erin');
  const fay = await open('fay');
  await seesVideoFrom(erin, 'fay');
  assert.equal(await first.stop(), 0);  // every WebSocket closed with 1001
  await erin.locator('#status[data-state="reconnecting"]').waitFor();
  await fay.locator('#status[data-state="reconnecting"]').waitFor();
  second = await startSigd([`--port=${port}`]);
  await erin.locator('#status[data-state="online"]').waitFor();
  await fay.locator('#status[data-state="online"]').waitFor();
  // The call went on peer to peer meanwhile, and still does.
  await seesVideoFrom(erin, 'fay');
  await seesVideoFrom(fay, 'erin');
  await erin.close();
  await fay.locator('#peers li[data-peer="erin"]').waitFor({ state: 'detached' });
  await fay.close();
  assert.equal(await second.stop(), 0);
});
