// The conformance port against DockSphere: every workflow with referrers, once with sha256 and once
// with sha512 content, on the all-in-one process and on the distributed mode behind NGINX, both
// with token auth from the harness's test token server (so the suite's client answers real challenges).
import { afterAll, beforeAll, describe } from 'vitest';
import { startAllInOne } from '../harness/all-in-one.ts';
import { startDistributed } from '../harness/distributed.ts';
import type { RegistryUnderTest } from '../harness/registry-under-test.ts';
import type { HashAlgorithm } from './content.ts';
import { defineConformanceSuite } from './suite.ts';

const modes: { name: string; start: () => Promise<RegistryUnderTest> }[] = [
  { name: 'all-in-one', start: () => startAllInOne() },
  { name: 'distributed (NGINX front)', start: () => startDistributed() },
];
const algorithms: HashAlgorithm[] = ['sha256', 'sha512'];

for (const mode of modes) {
  describe(`OCI conformance: DockSphere ${mode.name}`, () => {
    let registry: RegistryUnderTest | undefined;
    beforeAll(async () => {
      registry = await mode.start();
    });
    afterAll(async () => {
      await registry?.stop();
    });

    for (const algorithm of algorithms) {
      describe(`${algorithm} content`, () => {
        defineConformanceSuite(
          () => {
            if (!registry) throw new Error(`DockSphere ${mode.name} did not start`);
            const user = registry.auth?.users[0];
            return {
              url: registry.url,
              username: user?.username,
              password: user?.password,
              namespace: `conformance-${algorithm}/repo1`,
              crossmountNamespace: `conformance-${algorithm}/repo2`,
              hashAlgorithm: algorithm,
            };
          },
          { pull: true, push: true, contentDiscovery: true, contentManagement: true, referrers: true },
        );
      });
    }
  });
}
