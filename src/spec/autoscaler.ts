// How the local autoscaler runs; what it decides is `scaling:` (the policy shared with AWS, where
// Application Auto Scaling applies it and this block is ignored). Enabled, `up` starts it detached
// in a controller container; otherwise it runs only when asked for in the foreground.
import { z } from 'zod';
import { durationSchema } from './units.ts';

/** Host names that mean "this machine", which inside the controller container is the container. */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\]|0\.0\.0\.0)$/i;

export const autoscalerSchema = z
  .object({
    /** Run the autoscaler detached: `up` starts the `<name>-autoscaler` controller container, `down` removes it. @default false */
    enabled: z.boolean().default(false),
    /** Time between two decisions (at least 1s). @default "5s" */
    interval: durationSchema.prefault('5s'),
    /** Each scaling event is POSTed here as JSON (the local stand-in for SNS); http or https. */
    webhook: z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }).optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.interval.seconds < 1) ctx.addIssue({ code: 'custom', path: ['interval'], message: 'must be at least "1s"' });
    if (a.enabled && a.webhook && LOOPBACK.test(new URL(a.webhook).hostname)) {
      ctx.addIssue({
        code: 'custom',
        path: ['webhook'],
        message:
          'the detached autoscaler runs in a container, where localhost is the container itself: ' +
          'use http://host.docker.internal:PORT/... for a receiver on this machine (listening on an address Docker reaches, e.g. 0.0.0.0), ' +
          'or run the autoscaler in the foreground ("moodle-ha autoscale")',
      });
    }
  });
