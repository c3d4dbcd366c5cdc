// Waiting for the cluster: a web node's deep readiness (/readyz, asked inside the container) and
// an HTTP URL answering 200 through the load balancer. Bounded, with what was last seen.
import { UserError } from '../util/errors.ts';
import { exec, inspectContainer, runsSteadily, sleep } from './containers.ts';
import { RUNTIME_IMAGE } from '../contract/image.ts';
import { httpGet } from '../util/http.ts';
import { hint } from '../spec/hint.ts';

/** PHP that prints the status line and body of a GET of `url` and exits 0 only when it answered 200. */
export function readyProbe(url: string): string {
  return `$c = stream_context_create(['http' => ['ignore_errors' => true, 'timeout' => 5]]);
$b = @file_get_contents('${url}', false, $c);
echo ($http_response_header[0] ?? 'no answer'), "\\n", $b;
exit(str_contains($http_response_header[0] ?? '', ' 200 ') ? 0 : 1);`;
}

const READY_PROBE = readyProbe(`http://127.0.0.1:${RUNTIME_IMAGE.port}${RUNTIME_IMAGE.readyPath}`);

/** Asks a runtime container's /readyz from inside it; returns the status line and body. */
export async function readyz(container: string): Promise<{ ready: boolean; answer: string }> {
  const r = await exec(container, ['php', '-r', READY_PROBE]);
  return { ready: r.code === 0, answer: r.output.trim() };
}

/** How often waitReady asks: each ask is a `docker exec` and a PHP start (100-400 ms under load). */
const READY_POLL_MS = 500;

export async function waitReady(container: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const info = await inspectContainer(container);
    if (!runsSteadily(info?.State))
      throw new UserError(
        `${container} is not running (exit ${info?.State.ExitCode}${info?.State.Restarting ? `; its restart policy is restarting it, ${info.RestartCount} restart(s) so far` : ''}); see "${hint('logs web')}"`,
      );
    try {
      const r = await readyz(container);
      if (r.ready) return;
      last = r.answer;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(READY_POLL_MS);
  }
  throw new UserError(`${container} not ready after ${timeoutMs / 1000} s; last /readyz answer: ${last}`);
}

/** Waits for 200 from a URL; `host` is the Host header to send (the site's public host). */
export async function waitHttp(url: string, timeoutMs: number, host?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const r = await httpGet(url, { host, timeoutMs: 10_000 });
      if (r.status === 200) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(1000);
  }
  throw new UserError(`${url} did not answer 200 within ${timeoutMs / 1000} s (last: ${last})`);
}
