// The image pipeline stack: ECR with scanning and lifecycle rules; a V2 pipeline started by changes
// to the spec or the plugins; CodeBuild builds and pushes, then deploys (migrate, then roll).
import { Match } from 'aws-cdk-lib/assertions';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildMoodleApp } from '../../../src/aws/build-app.ts';
import { validateSpec } from '../../../src/spec/read.ts';
import { build, only, PRODUCTION, resources } from './fixtures.ts';
import { tempDir } from '../../support/temp.ts';

const { built, pipeline, main } = build(PRODUCTION, { image: { tag: 'release-1' } });
const t = pipeline!;

describe('image repository', () => {
  test('scan on push, immutable tags, encrypted, RETAIN', () => {
    const [, repo] = only(resources(t, 'AWS::ECR::Repository'));
    assert.deepEqual(repo.Properties.ImageScanningConfiguration, { ScanOnPush: true });
    assert.equal(repo.Properties.ImageTagMutability, 'IMMUTABLE');
    assert.equal(repo.DeletionPolicy, 'Retain');
  });
  test('lifecycle: untagged images expire after 7 days, 30 tagged images kept', () => {
    const [, repo] = only(resources(t, 'AWS::ECR::Repository'));
    const rules = JSON.parse(repo.Properties.LifecyclePolicy.LifecyclePolicyText).rules;
    assert.deepEqual(
      rules.map((r: any) => [r.selection.tagStatus, r.selection.countType, r.selection.countNumber]),
      [
        ['untagged', 'sinceImagePushed', 7],
        ['any', 'imageCountMoreThan', 30],
      ],
    );
  });
  test('the main stack runs the pushed tag from this repository', () => {
    const web = Object.values(resources(main, 'AWS::ECS::TaskDefinition')).find((d) => d.Properties.Family === 'campus-web')!;
    const image = JSON.stringify(web.Properties.ContainerDefinitions[0].Image);
    assert.match(image, /Fn::ImportValue/);
    assert.match(image, /:release-1/);
    assert.ok(built.main!.dependencies.includes(built.pipeline!));
  });
});

describe('pipeline', () => {
  const [, p] = only(resources(t, 'AWS::CodePipeline::Pipeline'));
  test('V2, source from the repository through the connection', () => {
    assert.equal(p.Properties.PipelineType, 'V2');
    const source = p.Properties.Stages[0].Actions[0];
    assert.equal(source.Configuration.FullRepositoryId, 'school/moodle-site');
    assert.equal(source.Configuration.BranchName, 'main');
    assert.match(source.Configuration.ConnectionArn, /^arn:aws:codeconnections:/);
  });
  test('started only by pushes that change the spec (Moodle version) or the plugins', () => {
    assert.deepEqual(p.Properties.Triggers, [
      {
        ProviderType: 'CodeStarSourceConnection',
        GitConfiguration: {
          SourceActionName: 'Source',
          Push: [{ Branches: { Includes: ['main'] }, FilePaths: { Includes: ['moodle-ha.yaml', 'plugins/**'] } }],
        },
      },
    ]);
  });
  test('stages: source, build the image, then deploy with its tag', () => {
    assert.deepEqual(
      p.Properties.Stages.map((s: any) => s.Name),
      ['Source', 'Build', 'Deploy'],
    );
    const deploy = p.Properties.Stages[2].Actions[0];
    assert.match(deploy.Configuration.EnvironmentVariables, /#\{Image\.IMAGE_TAG\}/);
  });
  test('artifacts encrypted with the pipeline key', () => {
    assert.equal(p.Properties.ArtifactStore.EncryptionKey.Type, 'KMS');
  });
});

describe('build projects', () => {
  test('the image build is privileged (Docker), encrypted, and pushes to the repository', () => {
    t.hasResourceProperties('AWS::CodeBuild::Project', {
      Description: 'Builds and pushes the Moodle runtime image',
      EncryptionKey: Match.anyValue(),
      Environment: Match.objectLike({ PrivilegedMode: true, EnvironmentVariables: [Match.objectLike({ Name: 'REPOSITORY_URI' })] }),
      Source: Match.objectLike({ BuildSpec: Match.stringLikeRegexp('docker push') }),
    });
  });
  test('the deploy step runs moodle-ha deploy with the new tag', () => {
    t.hasResourceProperties('AWS::CodeBuild::Project', {
      Environment: Match.objectLike({ PrivilegedMode: false }),
      Source: Match.objectLike({ BuildSpec: Match.stringLikeRegexp('moodle-ha deploy --image-tag \\\\"\\$IMAGE_TAG\\\\" --yes') }),
    });
  });
  test('the deploy step may assume only the four bootstrap roles cdk deploy uses, named, in the two regions', () => {
    const [, policy] = only(Object.fromEntries(Object.entries(resources(t, 'AWS::IAM::Policy')).filter(([k]) => k.startsWith('DeployRole'))));
    const assume = policy.Properties.PolicyDocument.Statement.filter((s: any) => s.Action === 'sts:AssumeRole');
    assert.equal(assume.length, 1);
    const names = assume[0].Resource.map((r: any) =>
      r['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : p.Ref === 'AWS::AccountId' ? '<account>' : '')).join(''),
    );
    const expected = ['eu-west-1', 'us-east-1'].flatMap((region) =>
      ['deploy', 'file-publishing', 'image-publishing', 'lookup'].map((kind) => `arn::iam::<account>:role/cdk-hnb659fds-${kind}-role-<account>-${region}`),
    );
    assert.deepEqual(names, expected);
    assert.ok(!JSON.stringify(policy.Properties.PolicyDocument).includes('*-'), 'no wildcard role name');
  });
  test('nothing lets the deploy step assume the CloudFormation execution role (admin unless bootstrapped with scoped policies)', () => {
    assert.ok(!JSON.stringify(t.toJSON()).includes('cfn-exec-role'));
  });
});

describe('failed pipeline executions go to the alarm topic', () => {
  test('a notification rule in the main stack, on the pipeline of the pipeline stack, to the alarm topic', () => {
    const [, rule] = only(resources(main, 'AWS::CodeStarNotifications::NotificationRule'));
    assert.deepEqual(rule.Properties.EventTypeIds, ['codepipeline-pipeline-pipeline-execution-failed']);
    assert.deepEqual(rule.Properties.Targets, [
      {
        TargetType: 'SNS',
        TargetAddress: { Ref: only(Object.fromEntries(Object.entries(resources(main, 'AWS::SNS::Topic')).filter(([k]) => k.startsWith('AlarmsTopic'))))[0] },
      },
    ]);
    assert.match(JSON.stringify(rule.Properties.Resource), /:codepipeline:.*Fn::ImportValue.*campus-pipeline:.*Pipeline/);
  });
  test('no cycle: the pipeline stack, deployed first, references nothing of the main stack', () => {
    t.resourceCountIs('AWS::CodeStarNotifications::NotificationRule', 0);
    assert.deepEqual(built.pipeline!.dependencies, []);
    assert.ok(!JSON.stringify(t.toJSON()).includes('Fn::ImportValue'));
  });
  test('CodeStar Notifications may publish to the topic', () => {
    main.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'codestar-notifications.amazonaws.com' }, Action: 'sns:Publish' })]),
      },
    });
  });
});

describe('cdk-nag acknowledgements of the pipeline stack', () => {
  const nagged = buildMoodleApp({
    spec: validateSpec(PRODUCTION),
    image: { tag: 'release-1' },
    nag: true,
    outdir: tempDir('moodle-ha-nag-'),
  });
  const template = nagged.app.synth().getStackByName('campus-pipeline').template as {
    Resources: Record<string, { Metadata?: { cdk_nag?: { rules_to_suppress: { id: string; reason: string }[] } } }>;
  };
  const iam5 = Object.entries(template.Resources).flatMap(([id, r]) =>
    (r.Metadata?.cdk_nag?.rules_to_suppress ?? [])
      .filter((a) => a.id.startsWith('AwsSolutions-IAM5'))
      .map((a) => ({ resource: id, finding: a.id.slice('AwsSolutions-IAM5'.length), reason: a.reason })),
  );
  test('each acknowledgement is one finding on the role that has it', () => {
    assert.ok(iam5.length >= 20, `only ${iam5.length}`);
    for (const a of iam5)
      assert.match(a.resource, /^(BuildRole|DeployRole|PipelineRole|PipelineSourceCodePipelineActionRole)[0-9A-F]{8}$|DefaultPolicy/, JSON.stringify(a));
  });
  test('a bare "*" resource is acknowledged only for ecr:GetAuthorizationToken of the image build', () => {
    const bare = iam5.filter((a) => a.finding === '[Resource::*]');
    assert.ok(bare.length > 0);
    for (const a of bare) assert.match(a.resource, /^BuildRole/);
    assert.match(bare[0]!.reason, /ecr:GetAuthorizationToken/);
  });
  test('every acknowledgement names the resource its wildcard is limited to', () => {
    for (const a of iam5) assert.match(a.reason, /artifact bucket|KMS key|log group|[Rr]eport groups|ecr:GetAuthorizationToken/, JSON.stringify(a));
  });
});
