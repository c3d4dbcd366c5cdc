// The image pipeline stack: ECR with scanning and lifecycle rules; a V2 pipeline started by changes
// to the spec or the plugins; CodeBuild builds and pushes, then deploys (migrate, then roll).
import { Match } from 'aws-cdk-lib/assertions';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { build, only, PRODUCTION, resources } from './fixtures.ts';

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
    assert.deepEqual(rules.map((r: any) => [r.selection.tagStatus, r.selection.countType, r.selection.countNumber]), [['untagged', 'sinceImagePushed', 7], ['any', 'imageCountMoreThan', 30]]);
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
    assert.deepEqual(p.Properties.Triggers, [{
      ProviderType: 'CodeStarSourceConnection',
      GitConfiguration: { SourceActionName: 'Source', Push: [{ Branches: { Includes: ['main'] }, FilePaths: { Includes: ['moodle-ha.yaml', 'plugins/**'] } }] },
    }]);
  });
  test('stages: source, build the image, then deploy with its tag', () => {
    assert.deepEqual(p.Properties.Stages.map((s: any) => s.Name), ['Source', 'Build', 'Deploy']);
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
  test('the deploy step may only assume the CDK bootstrap roles of the two regions', () => {
    const statement = Object.values(resources(t, 'AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .find((s: any) => s.Action === 'sts:AssumeRole');
    assert.ok(statement);
    const arns = JSON.stringify(statement.Resource);
    assert.match(arns, /cdk-hnb659fds-\*-.*eu-west-1/);
    assert.match(arns, /cdk-hnb659fds-\*-.*us-east-1/);
  });
});
