// Command-line tools (see `node cli.js --help`), compiled into the Remix build
// with the server so that they read the same configuration.
process.env.NODE_ENV ??= "production";

const BUILD_PATH = new URL("./build/index.js", import.meta.url);
const build = await import(BUILD_PATH.href).catch((error) => {
  console.error(`Cannot load the build at ${BUILD_PATH.pathname}: run "npm run build" first.\n${error}`);
  process.exit(1);
});

process.exitCode = await build.entry.module.runCli(process.argv.slice(2));
