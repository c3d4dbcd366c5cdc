// Talking to the running load balancer (src/local/lb-runtime.ts) without Docker: why HAProxy
// refused a configuration, read from its log as the engine returns it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { haproxyAlerts } from '../../../src/local/lb-runtime.ts';

/** Docker's log stream of a container without a TTY: each write framed by an 8-byte header (stream 2 = stderr, then the size). */
function framed(...writes: string[]): string {
  return Buffer.concat(
    writes.map((w) => {
      const body = Buffer.from(w, 'latin1');
      const header = Buffer.alloc(8);
      header[0] = 2;
      header.writeUInt32BE(body.length, 4);
      return Buffer.concat([header, body]);
    }),
  ).toString('latin1');
}

const ALERT = "[ALERT]    (8) : config : parsing [/etc/haproxy/haproxy.cfg:99] : unknown keyword 'srvtcpka-idl' in 'backend' section";

describe('haproxyAlerts', () => {
  test('the [ALERT] lines, without the frame header before them, and nothing else', () => {
    const log = framed(
      '[NOTICE]   (1) : New worker (8) forked\n',
      `${ALERT}\n`,
      '[ALERT]    (8) : config : Fatal errors found in configuration.\n',
      '[WARNING]  (1) : Former worker (7) exited with code 0\n',
    );
    assert.deepEqual(haproxyAlerts(log), [ALERT, '[ALERT]    (8) : config : Fatal errors found in configuration.']);
  });
  test('several lines in one write', () => {
    assert.deepEqual(haproxyAlerts(framed(`[NOTICE]   (1) : reloading\n${ALERT}\n`)), [ALERT]);
  });
  test('no alert: none (the reload was not refused, it was slow)', () => {
    assert.deepEqual(haproxyAlerts(framed('[NOTICE]   (1) : New worker (9) forked\n')), []);
    assert.deepEqual(haproxyAlerts(''), []);
  });
});

describe('haproxyAlerts: a frame header holding "["', () => {
  test('a write of 91 bytes (0x5b is "[") still gives the line as HAProxy wrote it', () => {
    const fatal = '[ALERT]    (8) : config : Fatal errors found in configuration.';
    const line = `${fatal}${' see above'.padEnd(91 - fatal.length - 1, '.')}\n`;
    assert.equal(Buffer.byteLength(line, 'latin1'), 0x5b);
    assert.deepEqual(haproxyAlerts(framed(line)), [line.trimEnd()]);
  });
});
