// An Aedes broker for the benchmark: `node bench/peers/aedes.js --port P [--redis-port R]`.
// In memory by default; with --redis-port, messages go between brokers over mqemitter-redis
// and sessions, subscriptions and retained messages live in aedes-persistence-redis, so
// several processes on one Redis form a cluster. Prints `aedes listening on <port>` when ready.
import { createRequire } from 'node:module';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { Aedes } from 'aedes';

const require = createRequire(import.meta.url);

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    'redis-port': { type: 'string' },
    'redis-host': { type: 'string', default: '127.0.0.1' },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node bench/peers/aedes.js --port P [--redis-port R]');
  process.exit(2);
}

const options = {
  // MQTT 3.1 limits client ids to 23 bytes; benchmark clients may use longer ones.
  maxClientsIdLength: 1024,
};
if (values['redis-port'] !== undefined) {
  const redis = { host: values['redis-host'], port: Number(values['redis-port']) };
  const mqemitterRedis = require('mqemitter-redis');
  const persistenceRedis = require('aedes-persistence-redis');
  options.mq = mqemitterRedis(redis);
  options.persistence = persistenceRedis(redis);
}

const broker = await Aedes.createBroker(options);
const server = net.createServer({ noDelay: true }, (socket) => {
  socket.setNoDelay(true);
  broker.handle(socket);
});
server.on('error', (error) => {
  console.error(`aedes server error: ${error.message}`);
  process.exit(1);
});
server.listen(port, values.host, () => {
  console.log(`aedes listening on ${port}`);
});

const shutdown = () => {
  server.close();
  broker.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
