export {
  configDefaults,
  configSchema,
  configJsonSchema,
  DEFAULT_STATEFUL_TYPES,
  type ConfigDefaults,
  type EnvironmentConfig,
  type ProjectConfigInput,
} from "./schema.js";
export {
  CONFIG_FILE,
  findConfigFile,
  loadConfig,
  parseConfig,
  resolveEnvironment,
  type ProjectConfig,
  type ResolvedEnvironment,
} from "./load.js";
