// The cluster spec (moodle-ha.yaml): one validated, typed description of a Moodle cluster that
// both targets (local Docker, AWS) read. Every field has a safe default; a file is optional.
import { z } from 'zod';
import { autoscalerSchema } from './autoscaler.ts';
import { awsSchema } from './aws.ts';
import { scalingSchema } from './scaling.ts';
import { parseSize, sizeSchema } from './units.ts';
import { webMemoryProblem } from './web-memory.ts';

export const PROFILES = ['dev', 'ha'] as const;
export type Profile = (typeof PROFILES)[number];

const componentName = z
  .string()
  .regex(/^[a-z][a-z0-9]*_[a-z][a-z0-9_]*$/, 'must be a Moodle frankenstyle component name, e.g. "local_mytool" or "mod_attendance"');

export const pluginSchema = z
  .object({
    /** Frankenstyle name; its type decides where the plugin goes in the tree. */
    component: componentName,
    /** A folder holding the plugin (its version.php at the top), relative to moodle-ha.yaml. */
    source: z.string().min(1).optional(),
    /** A .zip or .tar.gz archive holding the plugin folder, relative to moodle-ha.yaml. */
    archive: z
      .string()
      .regex(/\.(zip|tgz|tar\.gz)$/, 'must end in .zip, .tgz or .tar.gz')
      .optional(),
    /** The version the plugin's version.php must declare ($plugin->version), e.g. 2024100700. */
    version: z.number().int().min(1970010100).optional(),
  })
  .strict()
  .refine((p) => (p.source === undefined) !== (p.archive === undefined), {
    message: 'give exactly one of "source" (a folder) or "archive" (a .zip/.tar.gz)',
  });

const port = z.number().int().min(1).max(65535);

/** Less than this and Moodle's caches alone fill a Redis. */
const REDIS_MINIMUM = '32Mi';
const atLeastRedisMinimum = (s: { bytes: number }) => s.bytes >= parseSize(REDIS_MINIMUM)!.bytes;
const REDIS_MINIMUM_MESSAGE = { message: `must be at least ${REDIS_MINIMUM}` };

export const specSchema = z
  .object({
    /** Cluster name: prefixes containers, volumes and stacks. @default "moodle" */
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,30}$/, 'must be lower-case letters, digits and "-", starting with a letter, at most 31 characters')
      .default('moodle'),
    /** dev: one web node, single MariaDB and Redis. ha: replicated database and Redis, 2+ web nodes. @default "dev" */
    profile: z.enum(PROFILES).default('dev'),
    moodle: z
      .object({
        /** Moodle release, e.g. "4.5.6". @default "4.5.6" */
        version: z
          .string()
          .regex(/^\d+\.\d+(\.\d+)?$/, 'must be a release number such as "4.5.6"')
          .default('4.5.6'),
        /** Expected SHA-256 of the release archive; the published checksum is used when unset. */
        sha256: z
          .string()
          .regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits')
          .optional(),
        /** Web root inside the tree: "" for 4.x, "public" for 5.1+. @default "" */
        webroot: z.enum(['', 'public']).default(''),
        /**
         * Plugins of the Moodle tree left out of the image (frankenstyle names, e.g. "local_broken"):
         * a site tree with a broken plugin can still be used. On an existing site they become
         * "missing from disk" (the migrate report names them; their data stays). @default []
         */
        excludePlugins: z.array(componentName).default([]),
      })
      .strict()
      .prefault({}),
    site: z
      .object({
        /** Full site name. @default "Moodle" */
        fullName: z.string().min(1).max(254).default('Moodle'),
        /** Short site name. @default "moodle" */
        shortName: z.string().min(1).max(100).default('moodle'),
        /** Admin user name. @default "admin" */
        adminUser: z
          .string()
          .regex(/^[a-z0-9_.@-]{2,100}$/, 'must be lower-case letters, digits, "_", ".", "@" or "-"')
          .default('admin'),
        /** Admin e-mail address. @default "admin@example.invalid" */
        adminEmail: z.email('must be an e-mail address').default('admin@example.invalid'),
        /** Support contact shown to users (supportemail). @default - the admin's address */
        supportEmail: z.email('must be an e-mail address').optional(),
        /** Address Moodle sends mail from (noreplyaddress). @default "noreply@<the site's host>" */
        noreplyAddress: z.email('must be an e-mail address').optional(),
        /** Default timezone of the site, an IANA name. @default "UTC" */
        timezone: z
          .string()
          .refine((t) => {
            try {
              new Intl.DateTimeFormat('en', { timeZone: t });
              return true;
            } catch {
              return false;
            }
          }, 'must be an IANA timezone such as "Europe/London" or "UTC"')
          .default('UTC'),
        /** Default country of new users, an ISO 3166 two-letter code such as "GB". @default - none */
        country: z
          .string()
          .regex(/^[A-Z]{2}$/, 'must be an ISO 3166 two-letter country code in capitals, such as "GB"')
          .optional(),
        /** Default language, a language pack Moodle has installed (the tree ships "en"). @default "en" */
        lang: z
          .string()
          .regex(/^[a-z]{2,3}(_[a-z0-9]+)*$/, 'must be a Moodle language code such as "en" or "en_us"')
          .default('en'),
        /** Public URL (wwwroot). @default "http://localhost:<ports.http>" */
        url: z.url({ message: 'must be a URL such as "https://moodle.example.edu"' }).optional(),
      })
      .strict()
      .prefault({}),
    web: z
      .object({
        /** Web nodes started by `up` (the autoscaler moves between scaling.min and scaling.max). @default 1 (dev), 2 (ha) */
        nodes: z.number().int().min(1).max(50).optional(),
        /** PHP-FPM workers per web node. @default 8 */
        fpmWorkers: z.number().int().min(1).max(256).default(8),
        /** Memory limit of one web container: at least fpmWorkers × phpMemory + OPcache + APCu + nginx (checked). @default "2Gi" */
        memory: sizeSchema.prefault('2Gi'),
        /** PHP memory_limit of one request. @default "192Mi" */
        phpMemory: sizeSchema.prefault('192Mi'),
        /** Largest upload. @default "100Mi" */
        maxUpload: sizeSchema.prefault('100Mi'),
      })
      .strict()
      .prefault({}),
    database: z
      .object({
        /** Memory limit of one database container. @default "1Gi" */
        memory: sizeSchema.prefault('1Gi'),
        /**
         * ha: web nodes and cron send Moodle's read-only queries to the reader endpoint (the Galera
         * members the writer does not prefer), as on AWS to Aurora's readers. @default true
         */
        reader: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    redis: z
      .object({
        /**
         * maxmemory of the sessions' Redis. It never evicts: full, it refuses new sessions (nobody can
         * log in), and `status` says how many more fit. About 10 KB a student. @default "256Mi"
         */
        sessionsMemory: sizeSchema.prefault('256Mi').refine(atLeastRedisMinimum, REDIS_MINIMUM_MESSAGE),
        /** maxmemory of the caches' Redis: beyond it, the least recently used keys go. @default "256Mi" */
        cachesMemory: sizeSchema.prefault('256Mi').refine(atLeastRedisMinimum, REDIS_MINIMUM_MESSAGE),
      })
      .strict()
      .prefault({}),
    ports: z
      .object({
        /** Host port of the load balancer: the only published port. @default 8080 */
        http: port.default(8080),
        /** Host port of HAProxy's stats page (bound to 127.0.0.1). @default 8404 */
        stats: port.default(8404),
        /** Host port of the local mail catcher's page, where every message Moodle sends is read (bound to 127.0.0.1). @default 8025 */
        mail: port.default(8025),
        /** Address the ports are bound to. @default "127.0.0.1" */
        bind: z.union([z.ipv4(), z.ipv6()]).default('127.0.0.1'),
      })
      .strict()
      .prefault({}),
    /** Plugins baked into the image. @default [] */
    plugins: z.array(pluginSchema).default([]),
    /** Folder with a config bundle (php.ini fragment, nginx fragment, config.php extras). */
    configBundle: z.string().min(1).optional(),
    scaling: scalingSchema.prefault({}),
    /** How the local autoscaler runs (detached controller container or foreground only). */
    autoscaler: autoscalerSchema.prefault({}),
    aws: awsSchema.prefault({}),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.ports.http === s.ports.stats) {
      ctx.addIssue({ code: 'custom', path: ['ports', 'stats'], message: `must differ from ports.http (${s.ports.http})` });
    }
    if (s.ports.mail === s.ports.http || s.ports.mail === s.ports.stats) {
      ctx.addIssue({ code: 'custom', path: ['ports', 'mail'], message: `must differ from ports.http (${s.ports.http}) and ports.stats (${s.ports.stats})` });
    }
    if (s.profile === 'ha' && s.web.nodes !== undefined && s.web.nodes < 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['web', 'nodes'],
        message: 'the ha profile needs at least 2 web nodes: set web.nodes to 2 or more, or use profile: dev',
      });
    }
    const min = s.scaling.min ?? 1;
    if (min > s.scaling.max) {
      ctx.addIssue({ code: 'custom', path: ['scaling', 'min'], message: `min (${min}) must not exceed max (${s.scaling.max})` });
    }
    const memory = webMemoryProblem(s.web);
    if (memory) ctx.addIssue({ code: 'custom', path: ['web', 'memory'], message: memory });
    const seen = new Set<string>();
    s.plugins.forEach((p, i) => {
      if (seen.has(p.component)) ctx.addIssue({ code: 'custom', path: ['plugins', i, 'component'], message: `${p.component} is listed twice: keep one entry` });
      seen.add(p.component);
    });
    const excluded = new Set<string>();
    s.moodle.excludePlugins.forEach((c, i) => {
      if (excluded.has(c)) ctx.addIssue({ code: 'custom', path: ['moodle', 'excludePlugins', i], message: `${c} is listed twice: keep one entry` });
      else if (seen.has(c))
        ctx.addIssue({
          code: 'custom',
          path: ['moodle', 'excludePlugins', i],
          message: `${c} is also in plugins (the manifest adds it): remove it from one of the two`,
        });
      excluded.add(c);
    });
  });

type Parsed = z.output<typeof specSchema>;

/** The validated spec with every profile-dependent default resolved. */
export type Spec = Parsed & {
  readonly web: Parsed['web'] & { readonly nodes: number };
  readonly scaling: Parsed['scaling'] & { readonly min: number };
  readonly site: Parsed['site'] & { readonly url: string };
};

export function resolveDefaults(p: Parsed): Spec {
  const minNodes = p.profile === 'ha' ? 2 : 1;
  const nodes = p.web.nodes ?? Math.max(minNodes, p.scaling.min ?? minNodes);
  return {
    ...p,
    web: { ...p.web, nodes },
    scaling: { ...p.scaling, min: p.scaling.min ?? minNodes },
    site: { ...p.site, url: p.site.url ?? `http://localhost:${p.ports.http}` },
  };
}
