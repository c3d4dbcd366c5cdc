// The `aws:` section of moodle-ha.yaml: everything only the CDK app reads.
import { z } from 'zod';

export const awsSchema = z
  .object({
    /** Deployment profile on AWS. @default "production" */
    profile: z.enum(['production', 'small']).default('production'),
    /** Main region. @default "eu-west-1" */
    region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as "eu-west-1"').default('eu-west-1'),
    /** AWS account id; unset means the CLI's current credentials decide. */
    account: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account id').optional(),
  })
  .strict();

export type AwsSpec = z.output<typeof awsSchema>;
