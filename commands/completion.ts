// svipc completion bash|zsh|fish: print a completion script, generated from the registry and
// each command's options (src/cli/completion.ts).

import { allSpecs, bashScript, fishScript, zshScript } from '../src/cli/completion.js';
import type { CommandContext, CommandModule } from '../src/cli/context.js';
import { UsageError } from '../src/cli/exit.js';
import { defineCommand } from '../src/cli/spec.js';
import { LOADERS } from './index.js';

const load = (name: string): Promise<CommandModule> => {
  const loader = LOADERS[name];
  if (!loader) throw new Error(`no module for command ${name}`);
  return loader();
};

async function completionAction(ctx: CommandContext, shell: string): Promise<number> {
  const make = { bash: bashScript, zsh: zshScript, fish: fishScript }[shell];
  if (!make) throw new UsageError(`unknown shell: '${shell}' (bash, zsh or fish)`);
  ctx.stdout.write(make(await allSpecs(load)));
  return 0;
}

export const { spec, run } = defineCommand({
  summary: 'Print a completion script for svipc: its commands, subcommands and options.',
  args: [{ name: '<shell>', description: 'bash, zsh or fish' }],
  help:
    '\nInstall:\n' +
    '  bash:  source <(svipc completion bash)            (or save it in /etc/bash_completion.d/svipc)\n' +
    '  zsh:   source <(svipc completion zsh)             (or save it as _svipc in a directory of $fpath)\n' +
    '  fish:  svipc completion fish | source             (or save it as ~/.config/fish/completions/svipc.fish)\n' +
    '\nExit status: 0 ok, 1 stdout not writable (write error), 2 usage (unknown shell).\n',
  examples: [
    ['source <(svipc completion bash)', 'complete svipc in this bash session'],
    ['svipc completion bash > /etc/bash_completion.d/svipc', 'for every bash session from now on (as root)'],
    ['svipc completion fish > ~/.config/fish/completions/svipc.fish', 'for fish, loaded when needed'],
  ],
  action: completionAction,
});
