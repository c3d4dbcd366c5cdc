// Lambda entry of the schedule applier (bundled with esbuild at synth: ./bundle.ts). Two kinds of
// event, and both apply the values of the window in force (./apply.ts):
//   - EventBridge Scheduler, at each window's open and close: { trigger, scheduledTime }. Evaluated
//     at the later of the clock and the scheduled time: never the state before the edge (Scheduler
//     invokes within the minute after it; this guards a skewed clock), and a late retry applies
//     the state of its own time;
//   - a CloudFormation custom resource event (CDK Provider framework), on every deploy, after the
//     resources it sets were updated: an update puts them back to the template's base values.
// The AWS SDK v3 is the one of the Lambda Node.js runtime (not bundled).
import { makeApplier, type ApplierClients, type ApplyResult } from './apply.ts';
import { readEnvironment, type AppliedResources } from './config.ts';

export interface ScheduledEvent {
  /** "<window>-open" or "<window>-close": for the log only. */
  readonly trigger?: string;
  /** EventBridge Scheduler's <aws.scheduler.scheduled-time>, e.g. "2026-12-07T07:00:00Z". */
  readonly scheduledTime?: string;
}

export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
}

export type ApplierEvent = ScheduledEvent | CustomResourceEvent;

/** The custom resource's physical id: constant, so an update never replaces (deletes) it. */
export const PHYSICAL_ID = 'moodle-ha-scheduled-capacity';

const isCustomResource = (e: ApplierEvent): e is CustomResourceEvent => 'RequestType' in e;

/** Routes an event to `apply`; exported for tests. */
export function makeHandler(apply: (now: Date) => Promise<ApplyResult>, clock: () => Date = () => new Date(), log: (line: string) => void = console.log) {
  return async function handle(event: ApplierEvent): Promise<unknown> {
    if (isCustomResource(event)) {
      // Deleting the stack (or this resource) leaves the values as they are.
      if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId ?? PHYSICAL_ID };
      log(`deploy (${event.RequestType}): applying the schedule`);
      const result = await apply(clock());
      return { PhysicalResourceId: PHYSICAL_ID, Data: { Window: result.window ?? 'none' } };
    }
    const scheduled = Date.parse(event.scheduledTime ?? '');
    const now = clock();
    log(`schedule trigger ${event.trigger ?? '(none)'} for ${event.scheduledTime ?? '(no time)'}`);
    return apply(Number.isFinite(scheduled) && scheduled > now.getTime() ? new Date(scheduled) : now);
  };
}

/** The AWS SDK v3 clients of the Lambda runtime; the WAF client in the web ACL's region. */
async function sdkClients(resources: AppliedResources): Promise<ApplierClients> {
  // A name in a variable: TypeScript and esbuild leave it to the runtime (not installed here).
  const load = (name: string): Promise<any> => import(name);
  const [aas, asg, rds, waf] = await Promise.all([
    load('@aws-sdk/client-application-auto-scaling'),
    load('@aws-sdk/client-auto-scaling'),
    load('@aws-sdk/client-rds'),
    load('@aws-sdk/client-wafv2'),
  ]);
  const aasClient = new aas.ApplicationAutoScalingClient({});
  const asgClient = new asg.AutoScalingClient({});
  const rdsClient = new rds.RDSClient({});
  const wafClient = new waf.WAFV2Client({ region: resources.webAcl.region });
  return {
    applicationAutoScaling: { registerScalableTarget: (i) => aasClient.send(new aas.RegisterScalableTargetCommand(i)) },
    autoScaling: { updateAutoScalingGroup: (i) => asgClient.send(new asg.UpdateAutoScalingGroupCommand(i)) },
    rds: {
      describeDBClusters: (i) => rdsClient.send(new rds.DescribeDBClustersCommand(i)),
      modifyDBCluster: (i) => rdsClient.send(new rds.ModifyDBClusterCommand(i)),
    },
    wafv2: {
      getWebACL: (i) => wafClient.send(new waf.GetWebACLCommand(i)),
      updateWebACL: (i) => wafClient.send(new waf.UpdateWebACLCommand(i)),
    },
  };
}

let handle: ((event: ApplierEvent) => Promise<unknown>) | undefined;

export async function handler(event: ApplierEvent): Promise<unknown> {
  if (!handle) {
    const { schedule, resources } = readEnvironment(process.env);
    handle = makeHandler(makeApplier(await sdkClients(resources), schedule, resources).apply);
  }
  return handle(event);
}
