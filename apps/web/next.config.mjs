// The console is a static export: `next build` writes plain files to out/, which the all-in-one
// (one port, no Next.js server) and NGINX serve. Pages with a parameter take it from the query
// string (/repository/?name=team/app), so every deep link is a real file.
/** @type {import('next').NextConfig} */
const config = {
  output: 'export',
  trailingSlash: true,
  poweredByHeader: false,
  reactStrictMode: true,
  images: { unoptimized: true },
  // The platform client is a workspace package shipped as TypeScript source.
  transpilePackages: ['@docksphere/client'],
  typescript: { tsconfigPath: 'tsconfig.json' },
};
export default config;
