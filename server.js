// Entry point of the portal's server. Everything else (configuration, logging,
// database, Express) is TypeScript compiled into the Remix build, so the HTTP
// server and the routes share one module graph (docs/decisions/002).
process.env.NODE_ENV ??= "production";

const { installGlobals } = await import("@remix-run/node");
installGlobals({ nativeFetch: true });

const BUILD_PATH = new URL("./build/index.js", import.meta.url);
const build = await import(BUILD_PATH.href).catch((error) => {
  console.error(`Cannot load the server build at ${BUILD_PATH.pathname}: run "npm run build" first.\n${error}`);
  process.exit(1);
});

await build.entry.module.startServer(build);
