export {
  loadConfig,
  startHelp,
  LOG_LEVELS,
  PORT_OFF,
  SETTINGS,
  type ConfigSources,
  type LogLevel,
  type ServerConfig,
  type Setting,
  type SettingSpec,
  type ValueType,
} from './config';
export { createLogger, REDACTED_PATHS, type LoggerOptions } from './logging';
export { startServer, type FlockServer, type StartServerOptions } from './server';
export { listenTcp, SocketTransport, type TcpListenerOptions } from './listeners/tcp';
export { listenWs, WebSocketTransport, WS_SUBPROTOCOLS, type WsListenerOptions } from './listeners/ws';
export { TRANSPORT_HIGH_WATER_MARK, type Acceptor, type Listener } from './listeners/listener';
export { main, processIo, usage, EXIT_OK, EXIT_FAILURE, EXIT_USAGE, type CliIo } from './cli-main';
