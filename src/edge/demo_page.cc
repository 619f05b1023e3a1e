#include "edge/demo_page.h"

namespace sig::edge {
namespace {

constexpr std::string_view kDemoPage = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sigd demo: video call</title>
<style>
  :root { color-scheme: light dark; --accent: #2b6cb0; --bad: #c53030; --ok: #2f855a; }
  * { box-sizing: border-box; }
  body { font: 15px/1.4 system-ui, sans-serif; margin: 0; padding: .75rem; }
  header { display: flex; flex-wrap: wrap; gap: .5rem; align-items: baseline; }
  h1 { font-size: 1.2rem; margin: 0 .5rem 0 0; }
  #status { font-weight: 600; padding: .1rem .5rem; border-radius: 1rem; background: #8883; }
  #status[data-state="online"] { color: var(--ok); }
  #status[data-state="taken"], #status[data-state="closed"] { color: var(--bad); }
  #status[data-state="reconnecting"], #status[data-state="joining"] { color: var(--accent); }
  form#login { display: flex; flex-wrap: wrap; gap: .5rem; margin: .75rem 0; }
  form#login input { min-width: 0; flex: 1 1 8rem; }
  input, button { font: inherit; padding: .35rem .5rem; }
  button { background: var(--accent); color: #fff; border: 0; border-radius: .3rem; }
  button:disabled { opacity: .5; }
  main { display: grid; gap: .75rem; grid-template-columns: 1fr 18rem; }
  @media (max-width: 720px) { main { grid-template-columns: 1fr; } }
  #peers { display: grid; gap: .5rem; grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr));
           list-style: none; margin: 0; padding: 0; }
  #peers li { position: relative; background: #000; border-radius: .4rem; overflow: hidden;
              aspect-ratio: 4 / 3; }
  #peers video { width: 100%; height: 100%; object-fit: cover; display: block; }
  #peers .label { position: absolute; left: .4rem; bottom: .3rem; color: #fff; font-size: .85rem;
                  text-shadow: 0 0 3px #000; }
  #peers li[data-state="connecting"] .label::after { content: " (connecting)"; }
  #peers li[data-state="failed"] .label::after { content: " (no connection)"; }
  #peers li[data-state="away"] .label::after { content: " (reconnecting)"; }
  aside { display: flex; flex-direction: column; min-height: 12rem; }
  #log { flex: 1; border: 1px solid #8885; border-radius: .4rem; padding: .5rem; overflow-y: auto;
         max-height: 50vh; min-height: 8rem; word-break: break-word; }
  #log .note { color: #888; font-style: italic; }
  form#chat { display: flex; gap: .4rem; margin-top: .5rem; }
  form#chat input { flex: 1; min-width: 0; }
</style>
</head>
<body>
<header>
  <h1>sigd video call</h1>
  <span id="status" data-state="offline">offline</span>
</header>
<form id="login">
  <input id="name" maxlength="64" placeholder="your name" aria-label="name">
  <input id="room" maxlength="64" placeholder="room (default)" aria-label="room">
  <input id="token" placeholder="token (if the server wants one)" aria-label="token">
  <button>join</button>
</form>
<main>
  <ul id="peers" aria-label="people in the call"></ul>
  <aside>
    <div id="log" aria-live="polite"></div>
    <form id="chat"><input id="text" autocomplete="off" placeholder="message" aria-label="message">
      <button>send</button></form>
  </aside>
</main>
<script>
'use strict';
// A mesh call: every pair of people in the room has its own RTCPeerConnection carrying camera,
// microphone and a "chat" data channel; sigd only relays the offers, answers and candidates.
// The newcomer offers to everyone already there, who answer. Up to a handful of people: each
// sends its media once per other person.
//
// Signaling and media part ways: when the server says someone left, their call may go on (their
// WebSocket dropped, or their server restarted or drained and they are logging in again). While
// the link to them holds, their tile stays, marked away, for kAwayMs; if they come back it is as
// if nothing happened. A peer that hangs up closes the link, and its tile goes at once.
const kAwayMs = 15000;
const $ = (id) => document.getElementById(id);
const connections = new Map();  // peer name -> { pc, channel, tile }
let ws, me, login, local, retries = 0;
// A rejoin found our name still held: by our own connection that died without sigd seeing it
// go (a network change, a sleeping laptop), until its ping times out. Not final, then.
let waitingForName = false;
const kMaxRetries = 20;  // about three minutes, backing off to 10 s
let iceServers = [];  // the server's TURN credentials, when it offers them
let inbox = Promise.resolve();  // server messages are handled one at a time, in order
window.demo = { connections };  // for tests and the curious

function log(text, note) {
  const div = document.createElement('div');
  div.textContent = text;
  if (note) div.className = 'note';
  $('log').append(div);
  $('log').scrollTop = $('log').scrollHeight;
}
function setStatus(state, text) {
  $('status').dataset.state = state;
  $('status').textContent = text || state;
}
function send(message) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(message)); }
function setForm(enabled) { for (const el of $('login').elements) el.disabled = !enabled; }

function tile(name, stream, muted) {
  let li = $('peers').querySelector(`li[data-peer="${CSS.escape(name)}"]`);
  if (!li) {
    li = document.createElement('li');
    li.dataset.peer = name;
    const video = document.createElement('video');
    video.autoplay = true;
    video.playsInline = true;
    video.muted = muted;
    const label = document.createElement('span');
    label.className = 'label';
    label.textContent = muted ? name + ' (you)' : name;
    li.append(video, label);
    $('peers').append(li);
  }
  if (stream) li.querySelector('video').srcObject = stream;
  return li;
}

function connection(peer) {
  let c = connections.get(peer);
  if (c) return c;
  const pc = new RTCPeerConnection({ iceServers });
  c = { pc, channel: null, tile: tile(peer, null, false) };
  c.tile.dataset.state = 'connecting';
  connections.set(peer, c);
  if (local) for (const track of local.getTracks()) pc.addTrack(track, local);
  pc.onicecandidate = (e) => {
    if (e.candidate) send({ type: 'candidate', target: peer, candidate: e.candidate.toJSON() });
  };
  pc.ontrack = (e) => tile(peer, e.streams[0], false);
  pc.ondatachannel = (e) => attach(peer, e.channel);
  pc.onconnectionstatechange = () => {
    if (connections.get(peer) !== c) return;  // hung up since
    if (pc.connectionState === 'connected' && !c.away) c.tile.dataset.state = 'connected';
    if (pc.connectionState === 'failed') {
      if (c.away) hangUp(peer);
      else c.tile.dataset.state = 'failed';
    }
  };
  return c;
}
// Whether the media link to `c` is up, so that the call outlives the signaling.
function linked(c) {
  return c.pc.connectionState === 'connected' && c.channel && c.channel.readyState === 'open';
}
// The server says `peer` left.
function departed(peer) {
  log(peer + ' left', true);
  const c = connections.get(peer);
  if (!c) return;
  if (!linked(c)) {
    hangUp(peer);
    return;
  }
  c.tile.dataset.state = 'away';
  clearTimeout(c.away);
  c.away = setTimeout(() => hangUp(peer), kAwayMs);
}
// `peer` is in the room (again).
function present(peer) {
  const c = connections.get(peer);
  if (!c || !c.away) return;
  clearTimeout(c.away);
  c.away = null;
  c.tile.dataset.state = 'connected';
  log(peer + ' is back', true);
}
function attach(peer, channel) {
  const c = connections.get(peer);
  c.channel = channel;
  // An answerer's channel may be open already when it arrives, and still fire "open" later.
  let announced = false;
  channel.onopen = () => {
    if (!announced) log(peer + ' joined the chat', true);
    announced = true;
  };
  channel.onmessage = (e) => log(peer + ': ' + e.data);
  // The other end hung up (or its page went): the call with it is over.
  channel.onclose = () => {
    if (connections.get(peer) === c && c.channel === channel) hangUp(peer);
  };
  if (channel.readyState === 'open') channel.onopen();
}
function hangUp(peer) {
  const c = connections.get(peer);
  if (!c) return;
  clearTimeout(c.away);
  connections.delete(peer);  // first: closing fires handlers that look it up
  c.pc.close();
  c.tile.remove();
}
async function call(peer) {
  const c = connection(peer);
  attach(peer, c.pc.createDataChannel('chat'));
  await c.pc.setLocalDescription(await c.pc.createOffer());
  send({ type: 'offer', target: peer, sdp: c.pc.localDescription.sdp });
}

async function handle(msg) {
  switch (msg.type) {
    case 'login_success':
      me = msg.id;
      retries = 0;
      iceServers = msg.iceServers || [];
      setStatus('online', 'in the call as ' + me);
      if (local) tile(me, local, true);
      // The newcomer calls everyone already there; after a reconnect, those whose link is lost.
      for (const peer of msg.clients) {
        if (peer === me) continue;
        const c = connections.get(peer);
        if (c && linked(c)) {
          present(peer);
        } else {
          hangUp(peer);
          await call(peer);
        }
      }
      break;
    case 'peer_connected': {
      const c = connections.get(msg.peer);
      if (c && c.away) present(msg.peer);
      else log(msg.peer + ' is joining', true);
      break;
    }
    case 'peer_disconnected': departed(msg.peer); break;
    case 'offer': {
      hangUp(msg.from);  // a peer that calls again (it reconnected) starts afresh
      const c = connection(msg.from);
      await c.pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
      await c.pc.setLocalDescription(await c.pc.createAnswer());
      send({ type: 'answer', target: msg.from, sdp: c.pc.localDescription.sdp });
      break;
    }
    case 'answer': {
      const c = connections.get(msg.from);
      if (c) await c.pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
      break;
    }
    case 'candidate': {
      const c = connections.get(msg.from);
      if (c) await c.pc.addIceCandidate(msg.candidate);
      break;
    }
    case 'error':
      if (msg.error === 'name_taken' && me !== undefined) {
        waitingForName = true;
        log('sigd still holds ' + me + ' for the lost connection; trying again', true);
      } else if (msg.error === 'name_taken') {
        setStatus('taken', 'the name ' + (login.name || '') + ' is taken in this room');
      } else {
        log('server: ' + msg.error + (msg.message ? ' (' + msg.message + ')' : ''), true);
      }
      break;
  }
}

// Close codes after which trying again cannot help: the login itself was refused, the session
// was replaced or kicked, or the page left.
const kFinal = new Set([1000, 4000, 4001, 4002, 4003, 4004, 4005]);

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  ws = new WebSocket(scheme + location.host + '/');
  ws.onopen = () => send(login);
  ws.onmessage = (e) => {
    inbox = inbox.then(() => handle(JSON.parse(e.data))).catch((err) => log(String(err), true));
  };
  ws.onclose = (e) => {
    const transient = !kFinal.has(e.code) || (e.code === 4000 && waitingForName);
    waitingForName = false;
    if (transient && retries < kMaxRetries) {
      // Calls in progress go on peer to peer; the signaling comes back when sigd does.
      const delay = Math.min(10000, 500 * 2 ** retries++);
      setStatus('reconnecting', 'reconnecting…');
      setTimeout(connect, delay);
      return;
    }
    if ($('status').dataset.state !== 'taken') setStatus('closed', 'disconnected (' + e.code + ')');
    for (const peer of [...connections.keys()]) hangUp(peer);
    $('peers').replaceChildren();
    setForm(true);
  };
}

async function join(name, room, token) {
  setForm(false);  // one login per page: a second would collide with our own name
  setStatus('joining', 'joining…');
  me = undefined;
  retries = 0;
  try {
    local = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  } catch (err) {
    local = null;
    log('no camera or microphone (' + err.name + '): chat only', true);
  }
  // With a token the name may be left out: the server takes the token's.
  login = { type: 'login' };
  if (name) login.name = name;
  if (room) login.room = room;
  if (token) login.token = token;
  connect();
}

$('login').onsubmit = (e) => {
  e.preventDefault();
  join($('name').value, $('room').value, $('token').value);
};
$('chat').onsubmit = (e) => {
  e.preventDefault();
  const text = $('text').value;
  let sent = false;
  for (const c of connections.values()) {
    if (c.channel && c.channel.readyState === 'open') {
      c.channel.send(text);
      sent = true;
    }
  }
  if (sent) log('me: ' + text);
  $('text').value = '';
};
// Leaving the page hangs up every call, so the others see it go at once (a page torn down
// without closing its connections leaves them to time out).
addEventListener('pagehide', () => {
  for (const peer of [...connections.keys()]) hangUp(peer);
});
const params = new URLSearchParams(location.search);
if (params.get('name') || params.get('token')) {
  $('name').value = params.get('name') || '';
  $('room').value = params.get('room') || '';
  $('token').value = params.get('token') || '';
  join(params.get('name'), params.get('room'), params.get('token'));
}
</script>
</body>
</html>
)html";

}  // namespace

std::string_view DemoPage() { return kDemoPage; }

}  // namespace sig::edge
