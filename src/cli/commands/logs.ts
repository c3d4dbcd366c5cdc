import { PassThrough } from 'node:stream';
import { LABELS } from '../../contract/image.ts';
import { clusterContainers } from '../../local/containers.ts';
import { docker, requireDocker } from '../../image/docker.ts';
import { UserError } from '../../util/errors.ts';
import type { Command } from '../command.ts';
import { specFor } from '../spec-flags.ts';

export const logsCommand: Command = {
  async run(ctx) {
    const { spec } = specFor(ctx);
    const service = ctx.positionals[0];
    await requireDocker();
    const all = await clusterContainers(spec.name);
    const services = [...new Set(all.map((c) => c.Labels[LABELS.service]))].sort();
    if (!service) throw new UserError(`name a service: ${services.join(', ') || '(none running)'}`);
    const chosen = all.filter((c) => c.Labels[LABELS.service] === service || c.Names[0] === `/${service}`);
    if (chosen.length === 0) throw new UserError(`no service "${service}" in cluster ${spec.name}; services: ${services.join(', ') || '(none running)'}`);
    const tail = Number(ctx.values.tail ?? 100);
    if (!Number.isInteger(tail) || tail < 0) throw new UserError('--tail takes a whole number of lines');
    await Promise.all(chosen.map(async (c) => {
      const name = c.Names[0]!.replace(/^\//, '');
      const prefix = chosen.length > 1 ? `${name} | ` : '';
      const out = new PassThrough();
      out.on('data', (b: Buffer) => process.stdout.write(b.toString().split('\n').filter(Boolean).map((l) => prefix + l).join('\n') + '\n'));
      const stream = ctx.values.follow
        ? await docker().getContainer(c.Id).logs({ follow: true, stdout: true, stderr: true, tail })
        : await docker().getContainer(c.Id).logs({ follow: false, stdout: true, stderr: true, tail });
      if (Buffer.isBuffer(stream)) {
        docker().modem.demuxStream(new PassThrough().end(stream), out, out);
        await new Promise((r) => setTimeout(r, 50));
      } else {
        docker().modem.demuxStream(stream, out, out);
        await new Promise((r) => stream.on('end', r));
      }
    }));
  },
};
