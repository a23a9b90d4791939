// Next.js runs inside nsplay's own server (server/index.ts); never `next dev`/`next start`.
/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // node-pty and the engine are server-only; the page imports only pure modules.
  serverExternalPackages: ['node-pty'],
  allowedDevOrigins: ['127.0.0.1', 'localhost'],
  devIndicators: false,
  // A second build beside the main one (a bench or a test run still serving .next): NSPLAY_NEXT_DIST=.next-mine.
  distDir: process.env.NSPLAY_NEXT_DIST || '.next',
};

export default nextConfig;
