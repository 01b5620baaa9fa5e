export { ConfigError, loadConfigOrExit, parseConfig } from './config';
export * from './shapes';
export { cidrList, hostPort, hostPortList, isCidr, logLevel, port, postgresUrl, redisUrl, urlWithScheme } from './validators';
export { z } from 'zod';
