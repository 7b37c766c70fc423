export { loadConfig, type ConfigSources } from './load';
export { startHelp } from './help';
export {
  LOG_LEVELS,
  PORT_OFF,
  SETTINGS,
  type LogLevel,
  type ServerConfig,
  type Setting,
  type SettingSpec,
  type ValueType,
} from './settings';
