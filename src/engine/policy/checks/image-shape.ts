/** Checks on the image's shape: tags, layer count, privileged run labels, file capabilities. */
import type { CheckContext, CheckOutcome } from '../types.js';
import { fail, listSome, pass } from './helpers.js';

/** good_tags / HasUniqueTag: some tag other than `latest` points at the image. */
export function checkTags(ctx: CheckContext): CheckOutcome {
  const good = ctx.image.tags.filter((t) => t.toLowerCase() !== 'latest');
  if (good.length > 0) {
    return pass(`tagged ${listSome(good)}`);
  }
  const seen = ctx.image.tags.length > 0 ? `only ${listSome(ctx.image.tags)}` : 'no tag';
  return fail(
    `the image has ${seen}; it needs a tag other than "latest"`,
    'tag the image with its version, e.g. buildah tag IMAGE plugin:1.0, and push that tag',
  );
}

/** good_layer_count / LayerCountAcceptable: at most `maxLayers` layers. */
export function checkLayerCount(ctx: CheckContext): CheckOutcome {
  const n = ctx.image.manifest.layers.length;
  const max = ctx.options.maxLayers;
  if (n <= max) {
    return pass(`${n} layer(s), at most ${max} allowed`);
  }
  return fail(
    `${n} layers, more than the ${max} allowed`,
    'combine RUN instructions with && and use a multi-stage build, or squash with buildah bud --layers=false',
  );
}

const PRIVILEGED = [
  /--privileged\b/,
  /--cap-add(=|\s+)all\b/i,
  /--pid(=|\s+)host\b/,
  /--net(work)?(=|\s+)host\b/,
  /(-v|--volume)(=|\s+)\/:/,
  /--mount(=|\s+)\S*(source|src)=\/(,|\s|$)/,
];

/** The number of bottom layers that belong to the base image. */
export function baseLayerCount(ctx: CheckContext): number {
  const digests = ctx.image.manifest.layers.map((l) => l.digest);
  const matched = ctx.options.approvedBaseLayers.filter((base) =>
    base.every((d, i) => digests[i] === d),
  );
  return Math.max(1, ...matched.map((b) => b.length));
}

/** not_running_privileged: no privileged RUN/INSTALL labels, no capabilities on files it adds. */
export function checkPrivileged(ctx: CheckContext): CheckOutcome {
  const labels = ctx.image.config.config?.Labels ?? {};
  const bad = Object.entries(labels).filter(
    ([k, v]) => ['run', 'install'].includes(k.toLowerCase()) && PRIVILEGED.some((re) => re.test(v)),
  );
  if (bad.length > 0) {
    return fail(
      `label ${bad.map(([k, v]) => `\`${k}\`="${v}"`).join(', ')} asks to run privileged`,
      'remove --privileged, --cap-add=ALL, --pid=host, --net=host and host / mounts from the RUN/INSTALL label',
    );
  }
  const base = baseLayerCount(ctx);
  const caps: string[] = [];
  for (const [path, e] of ctx.fs.walk('/')) {
    if (e.hasCapabilities && e.layer >= base) {
      caps.push(path);
    }
  }
  if (caps.length > 0) {
    return fail(
      `file capabilities are set on ${listSome(caps)}`,
      'do not setcap files in the Dockerfile; grant capabilities at deployment time if truly needed',
    );
  }
  return pass('no privileged run labels and no file capabilities added');
}
