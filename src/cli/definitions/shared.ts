// Flags that several commands take, described once.
import type { Flags } from '../command.ts';

export const PROFILE_FLAG: Flags = {
  profile: {
    short: 'p',
    value: 'PROFILE',
    description: "dev or ha, instead of the spec's profile for this run (ha: replicated database and Redis, 2 web nodes or more)",
  },
};

/** The runtime image an AWS command deploys; imageChoice() in aws/cli/image-choice.ts reads them. */
export const IMAGE_FLAGS: Flags = {
  'image-dir': { value: 'DIR', description: "the runtime image's build context (a folder with its Dockerfile), built as a CDK asset" },
  'image-tag': { value: 'TAG', description: 'an image the pipeline pushed to its ECR repository (aws.pipeline.enabled)' },
};

export const IMAGE_HELP =
  "The runtime image: --image-dir DIR is its build context (the folder src/image assembles: images/runtime, the Moodle tree and the manifest's plugins), " +
  'built as a CDK asset with the same build arguments as "moodle-ha build" and pushed to the CDK bootstrap repository; ' +
  '--image-tag TAG is an image the pipeline pushed to its ECR repository (aws.pipeline.enabled). ' +
  'With neither and the pipeline on, only the pipeline stack is deployed: it builds the image and deploys the rest; ' +
  'with neither and the pipeline off, the build context is staged from the cached Moodle tree and the plugin manifest into .moodle-ha/image-context ' +
  '("moodle-ha moodle download" first).';
