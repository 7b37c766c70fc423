// `helm test` for FlockMQ: a QoS 1 publish/subscribe round trip through the MQTT Service.
//
// Runs on the broker image itself (`node mqtt-roundtrip.js`), which has Node.js but no MQTT client
// and no shell, so it speaks MQTT 3.1.1 over a raw socket: no dependency, nothing to download.
// The subscriber and the publisher are two connections through the Service, so with several
// replicas they usually land on different nodes and the message crosses the flock.
//
// Environment: MQTT_HOST, MQTT_PORT (1883), TIMEOUT_SECONDS (30). Exit 0 on success, 1 otherwise.
'use strict';
const net = require('node:net');
const crypto = require('node:crypto');

const host = process.env.MQTT_HOST || '127.0.0.1';
const port = Number(process.env.MQTT_PORT || 1883);
const timeoutMs = Number(process.env.TIMEOUT_SECONDS || 30) * 1000;
const run = crypto.randomBytes(4).toString('hex');
const topic = `flockmq/helm-test/${run}`;
const payload = `hello from helm test ${run}`;

const CONNECT = 1,
  CONNACK = 2,
  PUBLISH = 3,
  PUBACK = 4,
  SUBSCRIBE = 8,
  SUBACK = 9,
  DISCONNECT = 14;

const str = (s) => {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
};
const u16 = (n) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
function packet(type, flags, body) {
  const len = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    len.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([(type << 4) | flags, ...len]), body]);
}
const connect = (clientId) =>
  packet(CONNECT, 0, Buffer.concat([str('MQTT'), Buffer.from([4, 0x02]), u16(30), str(clientId)]));

/** A connection that yields decoded packets: { type, flags, body }. */
function open(name) {
  const socket = net.connect({ host, port });
  const waiting = [];
  const queued = [];
  let buffer = Buffer.alloc(0);
  let closed = false;
  socket.on('data', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      let len = 0,
        mult = 1,
        i = 1;
      for (; i < buffer.length && i <= 4; i++) {
        len += (buffer[i] & 0x7f) * mult;
        mult *= 128;
        if ((buffer[i] & 0x80) === 0) break;
      }
      if (i >= buffer.length || buffer.length < i + 1 + len) return;
      const p = { type: buffer[0] >> 4, flags: buffer[0] & 0x0f, body: buffer.subarray(i + 1, i + 1 + len) };
      buffer = buffer.subarray(i + 1 + len);
      const next = waiting.shift();
      if (next) next(p);
      else queued.push(p);
    }
  });
  socket.on('error', (err) => fail(`${name}: ${err.message}`));
  socket.on('close', () => closed || fail(`${name}: the broker closed the connection`));
  return {
    send: (buf) => socket.write(buf),
    next: () => new Promise((resolve) => (queued.length ? resolve(queued.shift()) : waiting.push(resolve))),
    close() {
      closed = true;
      socket.end(packet(DISCONNECT, 0, Buffer.alloc(0)));
    },
  };
}

async function expect(conn, type, what) {
  const p = await conn.next();
  if (p.type !== type) fail(`expected ${what}, got packet type ${p.type}`);
  return p;
}

function fail(message) {
  console.error(`FAIL ${message}`);
  process.exit(1);
}

async function main() {
  console.log(`round trip through ${host}:${port} on topic ${topic}`);
  const sub = open('subscriber');
  sub.send(connect(`helm-test-sub-${run}`));
  const subAck = await expect(sub, CONNACK, 'CONNACK');
  if (subAck.body[1] !== 0) fail(`subscriber CONNACK return code ${subAck.body[1]}`);
  sub.send(packet(SUBSCRIBE, 0x02, Buffer.concat([u16(1), str(topic), Buffer.from([1])])));
  const granted = await expect(sub, SUBACK, 'SUBACK');
  if (granted.body[2] !== 1) fail(`SUBACK granted ${granted.body[2]}, expected QoS 1`);

  const pub = open('publisher');
  pub.send(connect(`helm-test-pub-${run}`));
  const pubAck = await expect(pub, CONNACK, 'CONNACK');
  if (pubAck.body[1] !== 0) fail(`publisher CONNACK return code ${pubAck.body[1]}`);
  pub.send(packet(PUBLISH, 0x02, Buffer.concat([str(topic), u16(7), Buffer.from(payload)])));
  const ack = await expect(pub, PUBACK, 'PUBACK');
  if (ack.body.readUInt16BE(0) !== 7) fail('PUBACK for another packet id');

  const msg = await expect(sub, PUBLISH, 'the PUBLISH');
  const topicLen = msg.body.readUInt16BE(0);
  const gotTopic = msg.body.subarray(2, 2 + topicLen).toString();
  const qos = (msg.flags >> 1) & 3;
  const offset = 2 + topicLen + (qos > 0 ? 2 : 0);
  const gotPayload = msg.body.subarray(offset).toString();
  if (qos > 0) sub.send(packet(PUBACK, 0, msg.body.subarray(2 + topicLen, 4 + topicLen)));
  if (gotTopic !== topic || gotPayload !== payload) fail(`received ${gotTopic}: ${gotPayload}`);

  pub.close();
  sub.close();
  console.log(`OK: QoS ${qos} message delivered on ${gotTopic}`);
  setTimeout(() => process.exit(0), 100);
}

setTimeout(() => fail(`no round trip within ${timeoutMs / 1000} s`), timeoutMs).unref();
main().catch((err) => fail(err.stack || String(err)));
