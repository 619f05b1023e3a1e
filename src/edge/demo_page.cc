#include "edge/demo_page.h"

namespace sig::edge {
namespace {

constexpr std::string_view kDemoPage = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sigd demo</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
  #status { font-weight: bold; }
  #log { border: 1px solid #ccc; min-height: 8rem; padding: .5rem; margin: .5rem 0; }
  li button { margin-left: .5rem; }
</style>
</head>
<body>
<h1>sigd demo</h1>
<p>Open this page in two tabs, join the same room with two names, and connect: the chat runs
over a WebRTC data channel that sigd only helped set up.</p>
<form id="login">
  <label>name <input id="name" maxlength="64"></label>
  <label>room <input id="room" maxlength="64" placeholder="(default)"></label>
  <label>token <input id="token" placeholder="(if the server wants one)"></label>
  <button>join</button>
</form>
<p>status: <span id="status" data-state="offline">offline</span></p>
<h2>peers in the room</h2>
<ul id="peers"></ul>
<h2>chat</h2>
<div id="log"></div>
<form id="chat"><input id="text" autocomplete="off"> <button>send</button></form>
<script>
'use strict';
const $ = (id) => document.getElementById(id);
const peers = new Set();
let ws, me, pc, channel, remote;
let iceServers = [];  // the server's TURN credentials, when it offers them
let inbox = Promise.resolve();  // server messages are handled one at a time, in order

function log(line) {
  const div = document.createElement('div');
  div.textContent = line;
  $('log').append(div);
}
function setStatus(state, text) {
  $('status').dataset.state = state;
  $('status').textContent = text || state;
}
function send(message) { ws.send(JSON.stringify(message)); }
function renderPeers() {
  $('peers').replaceChildren(...[...peers].sort().map((name) => {
    const li = document.createElement('li');
    li.textContent = name;
    const button = document.createElement('button');
    button.textContent = 'connect';
    button.dataset.peer = name;
    button.onclick = () => connectTo(name);
    li.append(button);
    return li;
  }));
}

function newPeerConnection(peer) {
  remote = peer;
  pc = new RTCPeerConnection({ iceServers });
  pc.onicecandidate = (e) => {
    if (e.candidate) send({ type: 'candidate', target: peer, candidate: e.candidate.toJSON() });
  };
  pc.ondatachannel = (e) => attach(e.channel);
}
function attach(ch) {
  channel = ch;
  ch.onopen = () => setStatus('connected', 'connected to ' + remote);
  ch.onclose = () => setStatus('online');
  ch.onmessage = (e) => log(remote + ': ' + e.data);
}
async function connectTo(peer) {
  newPeerConnection(peer);
  attach(pc.createDataChannel('chat'));
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  send({ type: 'offer', target: peer, sdp: offer.sdp });
}
async function handle(msg) {
  switch (msg.type) {
    case 'login_success':
      me = msg.id;
      iceServers = msg.iceServers || [];
      msg.clients.filter((c) => c !== me).forEach((c) => peers.add(c));
      renderPeers();
      setStatus('online', 'online as ' + me);
      break;
    case 'peer_connected': peers.add(msg.peer); renderPeers(); break;
    case 'peer_disconnected': peers.delete(msg.peer); renderPeers(); break;
    case 'offer': {
      newPeerConnection(msg.from);
      await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      send({ type: 'answer', target: msg.from, sdp: answer.sdp });
      break;
    }
    case 'answer': await pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp }); break;
    case 'candidate': if (pc) await pc.addIceCandidate(msg.candidate); break;
    case 'error': log('server: ' + msg.error + (msg.message ? ' (' + msg.message + ')' : '')); break;
  }
}
function join(name, room, token) {
  // One login per page: a second one would collide with our own name.
  for (const el of $('login').elements) el.disabled = true;
  const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  ws = new WebSocket(scheme + location.host + '/');
  // With a token the name may be left out: the server takes the token's.
  ws.onopen = () => {
    const login = { type: 'login' };
    if (name) login.name = name;
    if (room) login.room = room;
    if (token) login.token = token;
    send(login);
  };
  ws.onmessage = (e) => { inbox = inbox.then(() => handle(JSON.parse(e.data))).catch((err) => log(String(err))); };
  ws.onclose = (e) => {
    setStatus('closed', 'closed (' + e.code + ')');
    for (const el of $('login').elements) el.disabled = false;
  };
}

$('login').onsubmit = (e) => {
  e.preventDefault();
  join($('name').value, $('room').value, $('token').value);
};
$('chat').onsubmit = (e) => {
  e.preventDefault();
  if (!channel || channel.readyState !== 'open') return;
  channel.send($('text').value);
  log('me: ' + $('text').value);
  $('text').value = '';
};
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
