/** Asks for a secret on the terminal without echoing it. */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { CairnError } from '../core/errors.ts';

export async function promptHidden(io: { stdin: NodeJS.ReadableStream; stderr: NodeJS.WritableStream }, question: string): Promise<string> {
  io.stderr.write(question);
  let muted = true;
  const output = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!muted) io.stderr.write(chunk);
      cb();
    },
  });
  const rl = createInterface({ input: io.stdin, output, terminal: true });
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      rl.question('', resolve);
      rl.on('close', () => reject(new CairnError('cancelled', 'no passphrase entered')));
      rl.on('SIGINT', () => reject(new CairnError('cancelled', 'cancelled')));
    });
    return answer;
  } finally {
    muted = false;
    rl.close();
    io.stderr.write('\n');
  }
}
