// Names of a local cluster's Docker resources, derived from the spec's cluster name.

export type ServiceName = 'lb' | 'db' | 'redis' | 'web' | 'cron' | 'migrate';

export interface ClusterNames {
  readonly cluster: string;
  readonly network: string;
  readonly volumes: { readonly moodledata: string; readonly db: string; readonly redis: string };
  container(service: ServiceName, index?: number): string;
}

export function clusterNames(cluster: string): ClusterNames {
  return {
    cluster,
    network: `${cluster}-net`,
    volumes: { moodledata: `${cluster}-moodledata`, db: `${cluster}-dbdata`, redis: `${cluster}-redisdata` },
    container: (service, index) => (service === 'web' ? `${cluster}-web-${index ?? 1}` : `${cluster}-${service}`),
  };
}
