// The VPC: public subnets (load balancer, NAT gateways), private "app" subnets for ECS tasks and
// instances, isolated "data" subnets for Aurora, ElastiCache and EFS. One NAT gateway per AZ in
// production (losing an AZ does not cut the others off), one in the small profile. Flow logs to
// CloudWatch; a gateway endpoint keeps S3 traffic off the NAT gateways.
import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface NetworkProps {
  /** Zones to use (names or tokens), 2 or 3. */
  readonly availabilityZones: readonly string[];
  /** NAT gateways. @default - one per zone */
  readonly natGateways?: number;
  /** Flow log retention. @default logs.RetentionDays.ONE_MONTH */
  readonly flowLogRetention?: logs.RetentionDays;
  /** CIDR of the VPC. @default "10.60.0.0/16" */
  readonly cidr?: string;
}

export const SUBNETS = {
  public: 'public',
  app: 'app',
  data: 'data',
} as const;

export class Network extends Construct {
  readonly vpc: ec2.Vpc;
  /** The VPC's IPv4 range, as a plain string (the load balancer and the tasks' trusted proxies use it). */
  readonly cidr: string;
  readonly appSubnets: ec2.SubnetSelection = { subnetGroupName: SUBNETS.app };
  readonly dataSubnets: ec2.SubnetSelection = { subnetGroupName: SUBNETS.data };
  readonly publicSubnets: ec2.SubnetSelection = { subnetGroupName: SUBNETS.public };

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    if (props.availabilityZones.length < 2) throw new Error(`Network: availabilityZones needs 2 or 3 zones, got ${props.availabilityZones.length}`);
    this.cidr = props.cidr ?? '10.60.0.0/16';
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(this.cidr),
      availabilityZones: [...props.availabilityZones],
      natGateways: props.natGateways ?? props.availabilityZones.length,
      subnetConfiguration: [
        { name: SUBNETS.public, subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: SUBNETS.app, subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: SUBNETS.data, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      // Nothing uses the default security group (every tier has its own), so no custom resource to empty it.
      restrictDefaultSecurityGroup: false,
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.flowLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
  }
}
