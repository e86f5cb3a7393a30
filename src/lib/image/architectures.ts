/**
 * LXD's architecture names (shared/osarch): the canonical name the API returns and the aliases it
 * accepts as input. Names are case-sensitive, as in LXD.
 */
const TABLE: ReadonlyArray<readonly [canonical: string, aliases: readonly string[], bits: 32 | 64]> = [
  ['i686', ['i386', 'i586', '386', 'x86', 'generic_32'], 32],
  ['x86_64', ['amd64', 'generic_64'], 64],
  ['armv6l', ['armel', 'arm'], 32],
  ['armv7l', ['armhf', 'armhfp', 'armv7a_hardfp', 'armv7', 'armv7a_vfpv3_hardfp'], 32],
  ['armv8l', [], 32],
  ['aarch64', ['arm64', 'arm64_generic'], 64],
  ['ppc', ['powerpc'], 32],
  ['ppc64', ['powerpc64'], 64],
  ['ppc64le', ['ppc64el'], 64],
  ['s390x', [], 64],
  ['mips', ['mipsel'], 32],
  ['mips64', ['mips64el'], 64],
  ['riscv32', [], 32],
  ['riscv64', [], 64],
];

const BY_NAME = new Map<string, string>();
for (const [canonical, aliases] of TABLE) {
  BY_NAME.set(canonical, canonical);
  for (const a of aliases) BY_NAME.set(a, canonical);
}

/** The canonical LXD name for `name` (an LXD name or alias), or undefined when LXD does not know it. */
export function canonicalArchitecture(name: string): string | undefined {
  return BY_NAME.get(name);
}

/** The canonical architecture of the machine img runs on. */
export function hostArchitecture(arch: string = process.arch): string {
  const node: Record<string, string> = {
    x64: 'x86_64',
    ia32: 'i686',
    arm64: 'aarch64',
    arm: 'armv7l',
    ppc64: 'ppc64le',
    ppc: 'ppc',
    s390x: 's390x',
    riscv64: 'riscv64',
    mips: 'mips',
    mipsel: 'mips',
    mips64el: 'mips64',
  };
  return node[arch] ?? arch;
}

/** What a host of each architecture also runs (LXD's personalities), preferred in that order after its own. */
const PERSONALITIES: Readonly<Record<string, readonly string[]>> = {
  x86_64: ['i686'],
  aarch64: ['armv6l', 'armv7l', 'armv8l'],
  armv8l: ['armv6l', 'armv7l'],
  armv7l: ['armv6l'],
  ppc64: ['ppc'],
  mips64: ['mips'],
};

export function personalities(arch: string): readonly string[] {
  return PERSONALITIES[arch] ?? [];
}
