// The local mail catcher: MailDev, in the cluster's network as `<cluster>-mail`. Moodle sends all
// its mail here by SMTP (nothing goes further); its web page and REST API, published on
// 127.0.0.1 only, show what was sent. The AWS app sends through Amazon SES instead.
import { MAIL_SMTP_PORT, MAIL_WEB_PORT } from './images/mail-image.ts';
import type { Spec } from '../spec/schema.ts';
import type { ContainerSpec } from './containers.ts';
import { clusterNames } from './names.ts';

/** Mail kept in the catcher's memory and temp folder is small; a runaway sender stops at this. */
const MAIL_MEMORY_BYTES = 256 * 1024 * 1024;

/** Where Moodle's SMTP client finds the catcher inside the cluster's network. */
export function mailSmtp(spec: Spec): { host: string; port: number } {
  return { host: clusterNames(spec.name).container('mail'), port: MAIL_SMTP_PORT };
}

/** The catcher's page (and REST API: /email) on the host. */
export function mailUrl(spec: Spec): string {
  return `http://127.0.0.1:${spec.ports.mail}/`;
}

export function mailContainer(spec: Spec, image: string): ContainerSpec {
  const n = clusterNames(spec.name);
  return {
    name: n.container('mail'),
    cluster: spec.name,
    service: 'mail',
    image,
    network: n.network,
    ports: [{ container: MAIL_WEB_PORT, host: spec.ports.mail, bind: '127.0.0.1' }],
    memoryBytes: MAIL_MEMORY_BYTES,
    stopTimeoutSeconds: 5,
  };
}
