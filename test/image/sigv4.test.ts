// The image's SigV4 signer (used to load a config bundle from S3 without an SDK) against AWS's
// published S3 examples ("Signature Calculations for the Authorization Header"), run with the
// image's own PHP: `docker run IMAGE php -r ...` (the entrypoint runs other commands as given).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { probeImage, TestSession } from '../support/containers.ts';

const session = new TestSession();
let image: string;

const CREDS = { key: 'AKIAIOSFODNN7EXAMPLE', secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const NOW = Date.UTC(2013, 4, 24, 0, 0, 0) / 1000; // 20130524T000000Z
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

interface Vector {
  readonly name: string;
  readonly query: Record<string, string>;
  readonly token?: string;
  readonly signature?: string;
}
const VECTORS: readonly Vector[] = [
  {
    name: 'AWS example GET Bucket (List Objects): GET /?max-keys=2&prefix=J',
    query: { 'max-keys': '2', prefix: 'J' },
    signature: '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7',
  },
  {
    name: 'AWS example GET Bucket Lifecycle: GET /?lifecycle',
    query: { lifecycle: '' },
    signature: 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543',
  },
  {
    name: 'List Objects with the query in another order: same signature',
    query: { prefix: 'J', 'max-keys': '2' },
    signature: '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7',
  },
  { name: 'with a session token (task role credentials)', query: { 'list-type': '2', prefix: 'bundle/' }, token: 'FQoGZXIvYXdzEXAMPLETOKEN' },
];

// Reads the vectors from argv, signs each with the image's signer, prints the headers as JSON.
const PHP = `
require '/opt/moodle-ha/php/sigv4.php';
[$vectors, $creds, $now] = json_decode($argv[1], true);
$out = [];
foreach ($vectors as $v) {
    $c = $creds + (isset($v['token']) ? ['token' => $v['token']] : []);
    $out[] = mh_sigv4_headers('GET', 'examplebucket.s3.amazonaws.com', '/', $v['query'], '', 'us-east-1', 's3', $c, $now);
}
echo json_encode($out);
`;

let signed: Array<Record<string, string>>;

function parseAuthorization(h: string): { credential: string; signedHeaders: string; signature: string } {
  const m = /^AWS4-HMAC-SHA256 Credential=([^,]+),\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/.exec(h);
  assert.ok(m, `not a SigV4 Authorization header: ${h}`);
  return { credential: m[1]!, signedHeaders: m[2]!, signature: m[3]! };
}

before(
  async () => {
    image = await probeImage();
    const r = await session.run({ image, role: 'sigv4', cmd: ['php', '-r', PHP, JSON.stringify([VECTORS, CREDS, NOW])] }, 30_000);
    assert.equal(r.exitCode, 0, `php failed:\n${r.stderr}`);
    signed = JSON.parse(r.stdout) as Array<Record<string, string>>;
    assert.equal(signed.length, VECTORS.length);
  },
  { timeout: 15 * 60_000 },
);

after(() => session.cleanup(), { timeout: 120_000 });

describe('SigV4 signer (images/runtime/rootfs/opt/moodle-ha/php/sigv4.php)', () => {
  for (const [i, v] of VECTORS.entries()) {
    if (!v.signature) continue;
    test(v.name, () => {
      const h = signed[i]!;
      assert.equal(h['x-amz-date'], '20130524T000000Z');
      assert.equal(h['x-amz-content-sha256'], EMPTY_SHA256);
      const a = parseAuthorization(h.authorization!);
      assert.equal(a.credential, 'AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request');
      assert.equal(a.signedHeaders, 'host;x-amz-content-sha256;x-amz-date');
      assert.equal(a.signature, v.signature);
    });
  }
  test('a session token is sent and signed', () => {
    const i = VECTORS.findIndex((v) => v.token);
    const h = signed[i]!;
    assert.equal(h['x-amz-security-token'], VECTORS[i]!.token);
    const a = parseAuthorization(h.authorization!);
    assert.equal(a.signedHeaders, 'host;x-amz-content-sha256;x-amz-date;x-amz-security-token');
    assert.notEqual(a.signature, signed[0] && parseAuthorization(signed[0].authorization!).signature);
  });
});
