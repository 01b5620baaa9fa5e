#!/usr/bin/env node
// Runs one fake upstream as its own process (for the router's e2e tests and the benchmark):
//   node libs/fake-upstream/dist/cli.js --kind openai --port 0
// prints {"kind":"openai","url":"http://127.0.0.1:41234","baseUrl":"http://127.0.0.1:41234/v1",...}
import { runCli, USAGE } from './cli-main';

runCli(process.argv.slice(2), (line) => process.stdout.write(line)).then(
  (fake) => {
    const stop = (): void => {
      fake.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exit(2);
  },
);
