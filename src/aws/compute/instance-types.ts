// What the spec needs to know about EC2 instance types to place web tasks: memory, and whether the
// type runs the runtime image (built for x86_64). Offline: a table of the families a Moodle site
// would choose, not a lookup; a type not in it is accepted unchecked.

/** Memory in GiB by instance size, for x86_64 families with the usual 1:2, 1:4 and 1:8 ratios. */
const SIZE_VCPUS: Readonly<Record<string, number>> = { medium: 2, large: 2, xlarge: 4, '2xlarge': 8, '4xlarge': 16, '8xlarge': 32 };
const GIB_PER_VCPU: Readonly<Record<string, number>> = {
  c5: 2,
  c6i: 2,
  c6a: 2,
  c7i: 2,
  c7a: 2,
  m5: 4,
  m6i: 4,
  m6a: 4,
  m7i: 4,
  m7a: 4,
  r5: 8,
  r6i: 8,
  r6a: 8,
  r7i: 8,
  r7a: 8,
};
/** Burstable types: memory by size. */
const T3: Readonly<Record<string, number>> = { micro: 1, small: 2, medium: 4, large: 8, xlarge: 16, '2xlarge': 32 };

/** Total memory of a known x86_64 instance type in MiB, or undefined when the table does not know it. */
export function instanceMemoryMiB(type: string): number | undefined {
  const [family, size] = type.split('.') as [string, string];
  if (family === 't3' || family === 't3a') return T3[size] === undefined ? undefined : T3[size]! * 1024;
  const perVcpu = GIB_PER_VCPU[family];
  const vcpus = SIZE_VCPUS[size];
  if (perVcpu === undefined || vcpus === undefined || size === 'medium') return undefined;
  return perVcpu * vcpus * 1024;
}

/**
 * Memory ECS can give tasks on an instance: the ECS-optimised AMI registers less than the total
 * (the OS, the agent and the kernel's reserve); about 90 % less 256 MiB, conservatively.
 */
export function taskMemoryMiB(type: string): number | undefined {
  const total = instanceMemoryMiB(type);
  return total === undefined ? undefined : Math.floor(total * 0.9 - 256);
}

/** Graviton (arm64) families: c6g, m7g, t4g, r8g, … The runtime image is x86_64 only. */
export function isArmInstanceType(type: string): boolean {
  return /^[a-z]+\d+g[a-z]*\./.test(type);
}
