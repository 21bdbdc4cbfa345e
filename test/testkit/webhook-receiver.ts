// A webhook receiver on loopback: records each delivery (headers and body); answers 500 to the first
// `failFirst` of them, then 204.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

export interface Received { event: string; delivery: string; signature: string; body: string; answered: number }

export async function webhookReceiver(t: TestContext, failFirst = 0): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answered = received.length < failFirst ? 500 : 204;
      received.push({
        event: String(req.headers['cairn-event']), delivery: String(req.headers['cairn-delivery']), signature: String(req.headers['cairn-signature']),
        body: Buffer.concat(chunks).toString('utf8'), answered,
      });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}
