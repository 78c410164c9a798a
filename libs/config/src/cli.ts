import { Command } from 'commander';
import { ConfigError } from './errors';
import { loadConfig } from './load';
import type { SchemaNode } from './schema';

export interface ServiceCommands<Config> {
  /** The binary's name: gateway, identity, permission, documents. */
  name: string;
  version: string;
  description: string;
  schema: SchemaNode;
  /** Appended to `serve --help`: the DEBUG CONTROLS section and anything else the service documents. */
  serveHelp: string;
  serve(config: Config): Promise<void>;
  migrate(config: Config): Promise<void>;
}

interface CommonOptions {
  config?: string;
  set: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * The command line every service shares: `<name> serve|migrate [-c config.yml] [--set key=value]`.
 * A bad config ends the process with exit code 1 and one line on stderr.
 */
export async function runServiceCli<Config>(
  commands: ServiceCommands<Config>,
  argv = process.argv,
): Promise<void> {
  const program = new Command(commands.name)
    .description(commands.description)
    .version(commands.version, '-v, --version')
    .showHelpAfterError();

  const addCommand = (
    name: 'serve' | 'migrate',
    description: string,
    action: (config: Config) => Promise<void>,
  ) => {
    const command = program
      .command(name)
      .description(description)
      .option('-c, --config <file>', 'a YAML or JSON config file')
      .option('--set <key=value>', 'set one config key, over env and file (repeatable)', collect, [])
      .action(async (options: CommonOptions) => {
        const config = loadConfig<Config>({
          schema: commands.schema,
          file: options.config,
          flags: options.set,
        });
        await action(config);
      });
    return command;
  };

  addCommand(
    'serve',
    `run the ${commands.name} service (applies pending migrations first)`,
    commands.serve,
  ).addHelpText(
    'after',
    `\nPrecedence: --set flags, then env vars, then the config file, then defaults.\n\n${commands.serveHelp}`,
  );
  addCommand('migrate', 'apply pending SQL migrations and exit', commands.migrate);

  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${commands.name}: invalid configuration: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
