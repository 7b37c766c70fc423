/** Entry point of the `flockmq` executable (bin/flockmq.js requires the compiled file). */
import { main, processIo } from './cli-main';

main(process.argv.slice(2), processIo()).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `flockmq: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
