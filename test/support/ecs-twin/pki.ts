// A throwaway certificate authority for the ECS twin: the stand-ins for Aurora, ElastiCache and S3
// present certificates it signs, for the host names the template gives the tasks, as the real
// services present certificates of their own CAs (RDS's CA, Amazon Trust Services). The runtime
// image must verify them: the twin puts this CA where the image keeps those services' CAs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Certificate {
  /** PEM of the leaf certificate. */
  readonly cert: string;
  /** PEM of its private key (unencrypted). */
  readonly key: string;
}

export class TestCa {
  readonly dir = mkdtempSync(join(tmpdir(), 'moodle-ha-twin-ca-'));
  /** PEM of the CA certificate. */
  readonly cert: string;
  private readonly keyFile: string;
  private readonly certFile: string;
  private serial = 1;

  constructor(readonly name = 'moodle-ha twin test CA') {
    this.keyFile = join(this.dir, 'ca.key');
    this.certFile = join(this.dir, 'ca.pem');
    openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-days',
      '2',
      '-subj',
      `/O=moodle-ha test/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-keyout',
      this.keyFile,
      '-out',
      this.certFile,
    ]);
    this.cert = readFileSync(this.certFile, 'utf8');
  }

  /** A server certificate for these DNS names (the first is the subject CN). */
  issue(names: readonly string[]): Certificate {
    const base = join(this.dir, `leaf-${this.serial++}`);
    const ext = `${base}.ext`;
    writeFileSync(
      ext,
      [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
        `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
      ].join('\n'),
    );
    openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${names[0]!.slice(0, 64)}`, '-keyout', `${base}.key`, '-out', `${base}.csr`]);
    openssl([
      'x509',
      '-req',
      '-in',
      `${base}.csr`,
      '-CA',
      this.certFile,
      '-CAkey',
      this.keyFile,
      '-set_serial',
      String(1000 + this.serial),
      '-days',
      '2',
      '-sha256',
      '-extfile',
      ext,
      '-out',
      `${base}.pem`,
    ]);
    return { cert: readFileSync(`${base}.pem`, 'utf8'), key: readFileSync(`${base}.key`, 'utf8') };
  }
}

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    throw new Error(`openssl ${args[0]} failed: ${(e as { stderr?: Buffer }).stderr?.toString() ?? (e as Error).message}`);
  }
}
