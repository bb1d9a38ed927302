// What the e2e harness needs from whatever issues registry tokens: today the test token server,
// later the real services/auth, so the harness and tests do not change when it lands.
export interface RegistryAuthFixture {
  /** The registry's AUTH_ISSUER and AUTH_SERVICE (the token's iss and aud). */
  issuer: string;
  service: string;
  /** For AUTH_PUBLIC_KEY_FILE (PEM, SPKI). */
  publicKeyFile: string | undefined;
  /** For AUTH_JWKS_URL. */
  jwksUrl: string | undefined;
  /** host:port NGINX proxies /auth/ and /api/auth/ to in the distributed mode. */
  upstream: string;
  /**
   * The realm the registry advertises: behind NGINX, `<public url>/auth/token`; with no public
   * front (publicUrl undefined), the token endpoint's own URL.
   */
  realmFor(publicUrl: string | undefined): string;
  /** Credentials that exist, first one allowed to push, pull and delete everywhere. */
  users: { username: string; password: string }[];
  stop(): Promise<void>;
}
