// The two CodeBuild steps of the image pipeline. Build: the runtime image from the repository's
// spec and plugin manifest, tagged with the commit, pushed to ECR. Deploy: `moodle-ha deploy` with
// that tag, which runs migrate and then rolls the web and cron services (one CloudFormation update).
import * as codebuild from 'aws-cdk-lib/aws-codebuild';

export function buildSpec(): codebuild.BuildSpec {
  return codebuild.BuildSpec.fromObject({
    version: '0.2',
    env: { shell: 'bash', 'exported-variables': ['IMAGE_TAG'] },
    phases: {
      install: { 'runtime-versions': { nodejs: 20 }, commands: ['npm ci'] },
      pre_build: {
        commands: [
          // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, done by CodeBuild's shell
          'export IMAGE_TAG="${CODEBUILD_RESOLVED_SOURCE_VERSION:0:12}"',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, done by CodeBuild's shell
          'aws ecr get-login-password | docker login --username AWS --password-stdin "${REPOSITORY_URI%%/*}"',
        ],
      },
      build: {
        commands: [
          // The Moodle release of moodle-ha.yaml (checksum verified), then `moodle-ha build`, which
          // builds the runtime image with the manifest's plugins and prints its tag first.
          'npx moodle-ha moodle download',
          'IMAGE="$(npx moodle-ha build | head -n 1)"',
          'docker tag "$IMAGE" "$REPOSITORY_URI:$IMAGE_TAG"',
          'docker push "$REPOSITORY_URI:$IMAGE_TAG"',
        ],
      },
    },
  });
}

export function deploySpec(): codebuild.BuildSpec {
  return codebuild.BuildSpec.fromObject({
    version: '0.2',
    env: { shell: 'bash' },
    phases: {
      install: { 'runtime-versions': { nodejs: 20 }, commands: ['npm ci'] },
      build: { commands: ['npx moodle-ha deploy --image-tag "$IMAGE_TAG" --yes'] },
    },
  });
}
