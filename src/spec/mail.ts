// Who the site's mail comes from, derived once for every target: the mail domain is the site's
// host name, and the no-reply address is the spec's or noreply@ that domain. A host Moodle would
// not accept in an address (localhost, an IP address) gets a reserved name under .invalid, so
// the address is valid and obviously undeliverable; the local mail catcher accepts it all the same.
import { isIP } from 'node:net';
import type { Spec } from './schema.ts';

export interface SiteMail {
  /** The domain Moodle may send as (allowedemaildomains); on AWS, the SES identity. */
  readonly domain: string;
  readonly noreplyAddress: string;
}

export function siteMailDomain(url: string): string {
  const host = new URL(url).hostname.toLowerCase().replace(/\.$/, '');
  if (isIP(host.replace(/^\[|\]$/g, ''))) return 'moodle.invalid';
  return host.includes('.') ? host : `${host}.invalid`;
}

/** The site's mail identity; `domain` overrides the one derived from the site's URL (AWS: aws.mail.domain). */
export function siteMail(spec: Pick<Spec, 'site'>, domain = siteMailDomain(spec.site.url)): SiteMail {
  return { domain, noreplyAddress: spec.site.noreplyAddress ?? `noreply@${domain}` };
}
