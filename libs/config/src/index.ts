export { ConfigError, loadConfigOrExit, parseConfig } from './config';
export * from './shapes';
export { cidrList, hostPortList, isCidr, logLevel, port, postgresUrl, redisUrl, urlWithScheme } from './validators';
export { z } from 'zod';
